/** When dist/ counts as stale: run on a copy of the project, so the working tree's dist/ stays. */
import { rmSync } from 'node:fs';
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

function stale(dir: string): boolean {
  const r = runIn(dir, [
    '--input-type=module',
    '-e',
    "import { isStale } from './scripts/build-stamp.mjs'; console.log(isStale())",
  ]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as boolean;
}

describe('dist/ staleness', () => {
  it('a fresh copy is not stale; a newer source makes it stale', () => {
    const dir = copy();
    expect(stale(dir)).toBe(false);
    touchSource(dir);
    expect(stale(dir)).toBe(true);
  });

  it('a dependency bump (package-lock.json newer) makes dist/ stale: dependencies are inlined', () => {
    const dir = copy();
    expect(stale(dir)).toBe(false);
    touchSource(dir, 'package-lock.json');
    expect(stale(dir)).toBe(true);
  });
});
