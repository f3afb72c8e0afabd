import { describe, expect, it } from 'vitest';
import { jitterMs } from '../../src/shared/jitter.ts';

describe('jitterMs', () => {
  it('stays in [0, max) and spreads retries apart', () => {
    const draws = Array.from({ length: 200 }, () => jitterMs(10));
    expect(draws.every((d) => d >= 0 && d < 10)).toBe(true);
    expect(new Set(draws.map((d) => Math.floor(d))).size).toBeGreaterThan(5);
  });
});
