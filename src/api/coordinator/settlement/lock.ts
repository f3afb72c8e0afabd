/**
 * One `custody settle` at a time per data directory: two pipelines driving the same database
 * could sign and broadcast two different fee bumps for one custody output (DESIGN invariant 4).
 * The lock is a file created exclusively, holding its owner's pid; a lock whose owner died (a
 * crash, a kill) is taken over. Several coordinators sharing one PostgreSQL database need the
 * database lease of the REST/cron issue; this lock covers one machine's data directory.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
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

function create(file: string): boolean {
  try {
    const fd = openSync(file, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export function acquireSettleLock(dataDir: string): SettleLock {
  const file = path.join(dataDir, 'settle.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    if (create(file)) {
      return {
        release: () => {
          if (readOwner(file) === process.pid) rmSync(file, { force: true });
        },
      };
    }
    const owner = readOwner(file);
    if (owner !== null && alive(owner)) {
      throw new ConflictError(`another custody settle (pid ${owner}) is running on ${dataDir}`);
    }
    rmSync(file, { force: true }); // its owner died: take it over
  }
  throw new ConflictError(`could not take ${file}`);
}

function readOwner(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
