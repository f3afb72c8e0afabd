/** Types of scripts/build-stamp.mjs (plain JavaScript: it runs before anything is built). */
export const ROOT: string;
export const DIST: string;
export const STAMP: string;
export const LOCK: string;
/** True when dist/ is missing, incomplete, or older than one of its inputs. */
export function isStale(): boolean;
/** True when dist/ holds a complete build, stale or not. */
export function hasDist(): boolean;
