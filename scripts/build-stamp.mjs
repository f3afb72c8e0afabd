/**
 * Whether dist/ is up to date with what it is built from, without loading esbuild: bin/custody.js
 * and the worker pool ask this on every start, and after `npm install --omit=dev` esbuild (a
 * devDependency) is not there. Only scripts/build.mjs, when a rebuild is needed, loads esbuild.
 *
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.join(ROOT, 'dist');
/** written last: its time is the build's, its absence means an incomplete build */
export const STAMP = path.join(DIST, '.built');
export const LOCK = path.join(ROOT, '.build-lock');
/**
 * What a build reads: a change to any of these makes dist/ stale. package-lock.json too: the
 * bundle inlines dependencies (scripts/build.mjs BUNDLED), so a bump changes the code built.
 */
const INPUTS = [
  'src',
  'package.json',
  'package-lock.json',
  'scripts/build.mjs',
  'scripts/build-stamp.mjs',
];
/** the entry points a run needs */
const OUTPUTS = ['cli.js', 'worker.js', 'dashboard/index.html'];

function newestMtime(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0; // an input that is not there (a trimmed install) changes nothing
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    newest = Math.max(newest, newestMtime(path.join(p, e.name)));
  }
  return newest;
}

/** True when dist/ is missing, incomplete, or older than one of its inputs. */
export function isStale() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  return INPUTS.some((p) => newestMtime(path.join(ROOT, p)) > built);
}

/** True when dist/ holds a complete build, stale or not. */
export function hasDist() {
  return existsSync(STAMP) && OUTPUTS.every((f) => existsSync(path.join(DIST, f)));
}
