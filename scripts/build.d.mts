/** Types of scripts/build.mjs (plain JavaScript: it runs before anything is built). */
export function isStale(): boolean;
/** Builds dist/; with `ifStale`, only when src/ changed since the last build. True if it built. */
export function build(opts?: { ifStale?: boolean }): Promise<boolean>;
