import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireSettleLock } from '../../../../src/api/coordinator/settlement/lock.ts';

describe('the settle lock', () => {
  it('a second pipeline on the same data directory is refused while the first runs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settle-lock-'));
    const lock = acquireSettleLock(dir);
    expect(readFileSync(path.join(dir, 'settle.lock'), 'utf8')).toBe(String(process.pid));
    expect(() => acquireSettleLock(dir)).toThrow(
      `another custody settle (pid ${process.pid}) is running on ${dir}`,
    );
    lock.release();
    acquireSettleLock(dir).release();
  });

  it('a lock left by a process that died is taken over', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settle-lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'settle.lock'), dead.stdout.trim());
    const lock = acquireSettleLock(dir);
    expect(readFileSync(path.join(dir, 'settle.lock'), 'utf8')).toBe(String(process.pid));
    lock.release();
  });
});
