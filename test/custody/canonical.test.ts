import { describe, expect, it } from 'vitest';
import { canonicalJson, constantTimeEqual, taggedJsonHash } from '../../src/custody/canonical.ts';

describe('canonical JSON', () => {
  it('is independent of key order', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe(
      canonicalJson({ a: [true, null, 'x'], b: 1 }),
    );
  });
  it('refuses non-integers (no float ambiguity in signed data)', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/safe integer/);
  });
  it('separates purposes: the same payload hashes differently under two tags', () => {
    expect(taggedJsonHash('request', { a: 1 })).not.toEqual(taggedJsonHash('response', { a: 1 }));
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
