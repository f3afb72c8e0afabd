import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Lockfile,
  lockfileDrift,
  missingOptionalEntries,
  type Platform,
} from '../../scripts/lockfile-drift.ts';
import { ROOT } from '../support/cli.ts';

const run = promisify(execFile);
const LINUX: Platform = { os: 'linux', cpu: 'x64', libc: 'glibc' };
const committed = (): Lockfile =>
  JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;

function edited(edit: (lock: Lockfile) => void): Lockfile {
  const lock = committed();
  edit(lock);
  return lock;
}

function entry(lock: Lockfile, p: string) {
  const e = lock.packages[p];
  if (e === undefined) throw new Error(`${p} is not in the lockfile`);
  return e;
}

describe('lockfile drift', () => {
  it('the committed lockfile lists every optional platform package (npm ci needs them all)', () => {
    expect(missingOptionalEntries(committed())).toEqual([]);
  });

  it('the committed lockfile has no drift against itself', () => {
    expect(lockfileDrift(committed(), committed(), LINUX)).toEqual([]);
  });

  it('a changed version of an installed package is drift', () => {
    const drifted = edited((l) => {
      entry(l, 'node_modules/zod').version = '4.0.0';
    });
    const problems = lockfileDrift(committed(), drifted, LINUX);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^node_modules\/zod: zod@4\.6\.7 .* became zod@4\.0\.0/);
  });

  it('a changed integrity (same version, other tarball) is drift', () => {
    const drifted = edited((l) => {
      entry(l, 'node_modules/zod').integrity = 'sha512-tampered';
    });
    expect(lockfileDrift(committed(), drifted, LINUX)).toHaveLength(1);
  });

  it('an optional package for another platform coming or going is not drift', () => {
    const without = edited((l) => {
      delete l.packages['node_modules/@biomejs/cli-win32-x64'];
      delete l.packages['node_modules/@biomejs/cli-linux-x64-musl'];
    });
    expect(lockfileDrift(committed(), without, LINUX)).toEqual([]);
    expect(lockfileDrift(without, committed(), LINUX)).toEqual([]);
  });

  it("this platform's own optional package going missing is drift", () => {
    const without = edited((l) => {
      delete l.packages['node_modules/@biomejs/cli-linux-x64'];
    });
    expect(lockfileDrift(committed(), without, LINUX)).toEqual([
      expect.stringMatching(/^node_modules\/@biomejs\/cli-linux-x64: .* was removed$/),
    ]);
    // …and the same entry is someone else's platform package on a Mac
    const mac: Platform = { os: 'darwin', cpu: 'arm64', libc: undefined };
    expect(lockfileDrift(committed(), without, mac)).toEqual([]);
  });

  it('a package added to the tree is drift', () => {
    const added = edited((l) => {
      l.packages['node_modules/left-pad'] = { version: '1.3.0', integrity: 'sha512-x' };
    });
    expect(lockfileDrift(committed(), added, LINUX)).toEqual([
      expect.stringContaining('node_modules/left-pad: left-pad@1.3.0'),
    ]);
  });

  it("a dependency range changed in package.json but not in the lockfile's root is drift", () => {
    const drifted = edited((l) => {
      const root = entry(l, '');
      root.dependencies = { ...root.dependencies, zod: '^4.0.0' };
    });
    expect(lockfileDrift(committed(), drifted, LINUX)).toEqual([
      "the root's dependencies differ between package.json and the lockfile",
    ]);
  });
});

describe('npm ci accepts the committed lockfile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lockfile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const npmCiDryRun = () =>
    run('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });

  it('as committed', async () => {
    copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(dir, 'package-lock.json'));
    await expect(npmCiDryRun()).resolves.toBeDefined();
  }, 60_000);

  it('but not once an optional platform entry is missing (the failure fresh machines saw)', async () => {
    const lock = edited((l) => {
      delete l.packages['node_modules/@biomejs/cli-win32-x64'];
    });
    copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await expect(npmCiDryRun()).rejects.toMatchObject({
      stderr: expect.stringContaining('Missing: @biomejs/cli-win32-x64@2.6.8 from lock file'),
    });
  }, 60_000);
});

describe('the command line .ci/run calls (npx tsx scripts/lockfile-drift.ts COMMITTED CURRENT)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lockfile-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const committedCopy = path.join(dir, 'committed.json');
  copyFileSync(path.join(ROOT, 'package-lock.json'), committedCopy);

  const driftCli = (current: string) =>
    spawnSync('npx', ['tsx', 'scripts/lockfile-drift.ts', committedCopy, current], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('exits 1 with one readable line on a drifted copy', () => {
    const current = path.join(dir, 'drifted.json');
    const drifted = edited((l) => {
      entry(l, 'node_modules/zod').version = '4.0.0';
    });
    writeFileSync(current, JSON.stringify(drifted, null, 2));
    const r = driftCli(current);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^lockfile drift: node_modules\/zod: zod@4\.6\.7 .* became zod@4\.0\.0[^\n]*\n$/,
    );
  }, 60_000);

  it('exits 0 and says nothing on an identical copy', () => {
    const current = path.join(dir, 'identical.json');
    copyFileSync(path.join(ROOT, 'package-lock.json'), current);
    const r = driftCli(current);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
