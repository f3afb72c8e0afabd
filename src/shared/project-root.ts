/**
 * The project's root directory (where package.json, prisma/migrations and bin/ live), found
 * from this module's own location. The same code runs from src/ (tests, the bench) and bundled
 * into dist/ (the `custody` command), at different depths, so a fixed number of `..` would be
 * right in one of them only.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'rollup-custody';
let cached: string | undefined;

export function projectRoot(): string {
  if (cached !== undefined) return cached;
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) {
      cached = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} project above ${import.meta.dirname}`);
    }
  }
}
