import { describe, expect, it } from 'vitest';
import { coinsToSats, parseJsonKeepingDecimals } from '../../../src/settlement/backend/rpc-json.ts';

describe('exact amounts from the node JSON', () => {
  it('keeps decimal numbers as their text and integers as numbers', () => {
    const text = '{"a":0.29,"b":[1.00000000,-2e-8,3],"s":"x\\"y: 1.5","h":431,"n":null,"t":true}';
    expect(parseJsonKeepingDecimals(text)).toEqual({
      a: '0.29',
      b: ['1.00000000', '-2e-8', 3],
      s: 'x"y: 1.5',
      h: 431,
      n: null,
      t: true,
    });
  });

  it('converts coin amounts to satoshis exactly where floats would not', () => {
    expect(0.29 * 1e8).not.toBe(29_000_000);
    expect(coinsToSats('0.29', 'a')).toBe(29_000_000n);
    expect(coinsToSats('0.29000000', 'a')).toBe(29_000_000n);
    expect(coinsToSats('20999999.97690000', 'a')).toBe(2_099_999_997_690_000n);
    expect(coinsToSats('1e-8', 'a')).toBe(1n);
    expect(coinsToSats('1.5E+2', 'a')).toBe(15_000_000_000n);
    expect(coinsToSats(3, 'a')).toBe(300_000_000n);
    expect(coinsToSats('0', 'a')).toBe(0n);
  });

  it('refuses a fraction of a satoshi instead of rounding it', () => {
    expect(() => coinsToSats('0.000000001', 'amount')).toThrow(/amount: .* not a whole number/);
  });

  it('refuses negative, non-numeric and absurd amounts', () => {
    expect(() => coinsToSats('-1', 'amount')).toThrow(/amount/);
    expect(() => coinsToSats('abc', 'amount')).toThrow(/amount/);
    expect(() => coinsToSats(0.5, 'amount')).toThrow(/amount/);
    expect(() => coinsToSats('1e999999999', 'amount')).toThrow(/out of range/);
  });
});
