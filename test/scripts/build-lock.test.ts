/**
 * The build lock (.build-lock/, scripts/build.mjs): a build killed before it removed its lock
 * must not make every later command wait, and a wait on a live build is said, not silent. Run
 * on a copy of the project, so the working tree's dist/ and lock are left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectCopy, runIn, touchSource } from './build-copy.ts';

const copies: string[] = [];
function copy(): string {
  const dir = projectCopy();
  copies.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** a pid no process has: a child that has exited */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

function lockOwnedBy(dir: string, pid: number): string {
  const lock = path.join(dir, '.build-lock');
  mkdirSync(lock);
  writeFileSync(path.join(lock, 'pid'), `${pid}\n`);
  // fresh as a lock goes: a take-over by age alone would wait two minutes
  const now = new Date();
  utimesSync(lock, now, now);
  return lock;
}

describe('build lock', () => {
  it('a lock left by a dead build is taken over at once, not waited out', () => {
    const dir = copy();
    lockOwnedBy(dir, deadPid());
    touchSource(dir);
    const r = runIn(dir, ['bin/custody.js', '--version'], 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.stderr).toMatch(/rebuilt dist/);
  });

  it('waiting on a live build says so once, with its pid, and goes on when it ends', async () => {
    const dir = copy();
    // this test process is alive: the waiter must wait for it
    const lock = lockOwnedBy(dir, process.pid);
    touchSource(dir);
    const child = spawn(process.execPath, ['bin/custody.js', '--version'], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    setTimeout(() => rmSync(lock, { recursive: true }), 2500);
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const waits = stderr.split('\n').filter((l) => l.includes('waiting for another build'));
    expect(waits).toEqual([`custody: waiting for another build (pid ${process.pid})`]);
  });
});
