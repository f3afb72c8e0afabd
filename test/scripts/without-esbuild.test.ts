/**
 * After `npm install --omit=dev` esbuild (a devDependency) is absent: `custody` must still run
 * the dist/ it has, and `prepare` must not break the install when dist/ is there. Run on a copy
 * of the project whose node_modules links every installed package except esbuild.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasEsbuild, projectCopy, runIn, touchSource } from './build-copy.ts';

const copies: string[] = [];
function copy(dist = true): string {
  const dir = projectCopy({ withoutEsbuild: true, dist });
  copies.push(dir);
  expect(hasEsbuild(dir)).toBe(false);
  return dir;
}
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

const version = /^\d+\.\d+\.\d+\n$/;

describe('custody without esbuild (npm install --omit=dev)', () => {
  it('runs a fresh dist/', () => {
    const r = runIn(copy(), ['bin/custody.js', '--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(version);
  });

  it('runs a stale dist/ with one warning line on stderr', () => {
    const dir = copy();
    touchSource(dir);
    const r = runIn(dir, ['bin/custody.js', '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(version);
    expect(r.stderr).toMatch(
      /^custody: dist\/ is stale and esbuild is not installed: .*npm install.*running the dist\/ you have\n$/,
    );
  });

  it('refuses in one line when dist/ is missing', () => {
    const dir = copy(false);
    const r = runIn(dir, ['bin/custody.js', '--version']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^custody: dist\/ is missing and esbuild is not installed: .*\n$/);
  });

  it('prepare (scripts/build.mjs) passes with a dist/ and fails clearly without one', () => {
    const dir = copy();
    touchSource(dir);
    const ok = runIn(dir, ['scripts/build.mjs']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(
      /^build: esbuild is not installed; keeping the dist\/ already built\n$/,
    );
    rmSync(path.join(dir, 'dist'), { recursive: true });
    const bad = runIn(dir, ['scripts/build.mjs']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^build: dist\/ is missing and esbuild is not installed: .*\n$/);
  });
});
