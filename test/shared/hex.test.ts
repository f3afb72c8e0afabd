import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/shared/errors.ts';
import { bytesToHex, parseHexBytes, parseQuantity, toQuantity } from '../../src/shared/hex.ts';

describe('parseHexBytes', () => {
  it('round-trips bytes', () => {
    expect(bytesToHex(parseHexBytes('0x00ff10', 'data'))).toBe('0x00ff10');
  });
  it('names the field when the prefix is missing', () => {
    expect(() => parseHexBytes('00ff', 'txs[3]')).toThrow(/txs\[3\]: expected 0x-prefixed hex/);
  });
  it('rejects odd-length hex (a truncated byte)', () => {
    expect(() => parseHexBytes('0xabc', 'data')).toThrow(InvalidInputError);
  });
  it('rejects a wrong length', () => {
    expect(() => parseHexBytes('0x00', 'root', 32)).toThrow(/root: expected 32 bytes, got 1/);
  });
  it('rejects non-strings', () => {
    expect(() => parseHexBytes(12, 'data')).toThrow(InvalidInputError);
  });
});

describe('quantities', () => {
  it('parses geth-style quantities', () => {
    expect(parseQuantity('0x0', 'nonce')).toBe(0n);
    expect(parseQuantity('0x00ff', 'nonce')).toBe(255n);
  });
  it('refuses decimal strings that would be misread as hex', () => {
    expect(() => parseQuantity('100', 'balance')).toThrow(/balance/);
  });
  it('formats without leading zeros', () => {
    expect(toQuantity(255n)).toBe('0xff');
    expect(toQuantity(0)).toBe('0x0');
  });
});
