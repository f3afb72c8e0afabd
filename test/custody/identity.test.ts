import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { generateIdentity, signStatement, verifyStatement } from '../../src/custody/identity.ts';

const id = generateIdentity();
const payload = { proposal: 'p1', n: 3 };

describe('identity statements', () => {
  it('verify for the same key, purpose and payload', () => {
    expect(
      verifyStatement(id.publicKey, 'request', payload, signStatement(id, 'request', payload)),
    ).toBe(true);
  });
  it('a statement signed for one purpose is refused for another', () => {
    expect(
      verifyStatement(id.publicKey, 'response', payload, signStatement(id, 'request', payload)),
    ).toBe(false);
  });
  it('malleated (high-S) signature is refused', () => {
    const sig = signStatement(id, 'request', payload);
    const parsed = secp256k1.Signature.fromBytes(Buffer.from(sig.slice(2), 'hex'), 'compact');
    const high = new secp256k1.Signature(parsed.r, secp256k1.Point.CURVE().n - parsed.s).toBytes(
      'compact',
    );
    expect(
      verifyStatement(id.publicKey, 'request', payload, `0x${Buffer.from(high).toString('hex')}`),
    ).toBe(false);
  });
  it('garbage keys and signatures are a false, not a crash', () => {
    expect(
      verifyStatement(`0x02${'ff'.repeat(32)}`, 'request', payload, `0x${'01'.repeat(64)}`),
    ).toBe(false);
    expect(verifyStatement(id.publicKey, 'request', payload, `0x${'ff'.repeat(64)}`)).toBe(false);
    expect(verifyStatement('nonsense', 'request', payload, 'nonsense')).toBe(false);
  });
});
