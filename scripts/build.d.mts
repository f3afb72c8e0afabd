/** Types of scripts/build.mjs (plain JavaScript: it runs before anything is built). */
/** Thrown by build() when it has to compile and esbuild is not installed. */
export class EsbuildMissingError extends Error {
  code: 'ESBUILD_MISSING';
}
/**
 * Builds dist/; with `ifStale`, only when an input changed since the last build. True if it
 * built. `label` starts the line said on stderr while it waits for another build's lock.
 */
export function build(opts?: { ifStale?: boolean; label?: string }): Promise<boolean>;
