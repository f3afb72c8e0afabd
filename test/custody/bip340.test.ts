import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { verifyBip340 } from '../../src/custody/bip340.ts';
import { readBip340Vectors } from './fixtures.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

const rows = readBip340Vectors();

describe('verifyBip340 against the BIP340 vectors', () => {
  it.each(rows.map((r) => [r.index, r.comment || 'valid', r] as const))(
    'vector %s (%s)',
    (_i, _c, r) => {
      expect(verifyBip340(bytes(r.signature), bytes(r.message), bytes(r.publicKey))).toBe(r.ok);
    },
  );
});

describe('verifyBip340 on inputs the libsecp256k1 binding refuses', () => {
  const sk = schnorr.utils.randomSecretKey();
  const pk = schnorr.getPublicKey(sk);
  const n = secp256k1.Point.Fn.ORDER;
  const toBytes32 = (x: bigint) => bytes(x.toString(16).padStart(64, '0'));

  it('a valid signature over a message that is not 32 bytes verifies', () => {
    for (const len of [0, 1, 17, 33, 100]) {
      const message = crypto.getRandomValues(new Uint8Array(len));
      expect(verifyBip340(schnorr.sign(message, sk), message, pk)).toBe(true);
    }
  });

  it('s above the group order (n + 1, 2^256 - 1) is refused, not thrown', () => {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const sig = schnorr.sign(message, sk);
    for (const s of [n + 1n, 2n ** 256n - 1n]) {
      const forged = new Uint8Array(sig);
      forged.set(toBytes32(s), 32);
      expect(verifyBip340(forged, message, pk)).toBe(false);
    }
  });

  it('r between the group order and the field prime is judged (false here), not thrown', () => {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const sig = schnorr.sign(message, sk);
    const forged = new Uint8Array(sig);
    forged.set(toBytes32(n + 1n), 0);
    expect(verifyBip340(forged, message, pk)).toBe(false);
  });

  it('wrong lengths are refused, not thrown', () => {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const sig = schnorr.sign(message, sk);
    expect(verifyBip340(sig.subarray(0, 63), message, pk)).toBe(false);
    expect(verifyBip340(sig, message, pk.subarray(0, 31))).toBe(false);
    expect(verifyBip340(sig, message, secp256k1.getPublicKey(sk, true))).toBe(false);
  });

  it('agrees with noble on random valid and tampered signatures', () => {
    for (let i = 0; i < 50; i++) {
      const message = crypto.getRandomValues(new Uint8Array(32));
      const sig = schnorr.sign(message, sk);
      if (i % 2 === 1) sig[i % 64]! ^= 1 << (i % 8);
      expect(verifyBip340(sig, message, pk)).toBe(schnorr.verify(sig, message, pk));
    }
  });
});
