/**
 * One `custody settle` at a time per data directory: two pipelines driving the same database
 * could sign and broadcast two different fee bumps for one custody output (DESIGN invariant 4).
 *
 * The lock file appears with its owner's pid already in it (written to a temporary file, then
 * hard-linked into place, which fails if the lock exists), so nobody ever reads a lock without
 * an owner. A lock whose owner died is renamed aside (only one contender can rename it) and
 * checked again before it is removed. Several coordinators sharing one PostgreSQL database need
 * the database lease of the REST/cron issue; this lock covers one machine's data directory.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../../../shared/errors.ts';

export interface SettleLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Create `file` holding our pid, atomically; false when it already exists. */
function create(file: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, String(process.pid), { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Move a dead owner's lock aside; only the contender whose rename succeeds removes it. */
function takeOver(file: string, deadPid: number): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // another contender moved it first
  }
  const moved = readOwner(aside);
  if (moved === deadPid) {
    rmSync(aside, { force: true });
    return;
  }
  // We moved a fresh lock someone took meanwhile: put it back unless yet another exists.
  try {
    linkSync(aside, file);
  } catch {
    // a newer lock exists; the fresh one we moved belongs to a process that will find it gone
  }
  rmSync(aside, { force: true });
}

export function acquireSettleLock(dataDir: string): SettleLock {
  return acquireFileLock(
    path.join(dataDir, 'settle.lock'),
    (owner) => `another custody settle (pid ${owner}) is running on ${dataDir}`,
  );
}

/** `file` created holding our pid, or a ConflictError saying who holds it. */
export function acquireFileLock(file: string, heldBy: (pid: number) => string): SettleLock {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(file)) {
      return {
        release: () => {
          if (readOwner(file) === process.pid) rmSync(file, { force: true });
        },
      };
    }
    const owner = readOwner(file);
    if (owner === null) continue; // it vanished between the two calls: try again
    if (alive(owner)) {
      throw new ConflictError(heldBy(owner));
    }
    takeOver(file, owner);
  }
  throw new ConflictError(`could not take the lock ${file}`);
}
