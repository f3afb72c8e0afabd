import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import {
  signP2wshPartial,
  signTapscriptPartial,
  verifyP2wshPartial,
  verifyTapscriptPartial,
} from '../../../src/custody/multisig/partial-sign.ts';
import { readBip340Vectors } from '../fixtures.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

const rows = readBip340Vectors();

describe('BIP340 vectors through the tapscript partial-signature path', () => {
  it.each(
    rows.filter((r) => r.secretKey && r.message?.length === 64).map((r) => [r.index, r] as const),
  )('vector %s: signing reproduces the signature', (_i, r) => {
    const sig = signTapscriptPartial({
      secretKey: bytes(r.secretKey),
      sighash: bytes(r.message),
      auxRand: bytes(r.auxRand),
    });
    expect(sig).toBe(`0x${r.signature.toLowerCase()}`);
  });

  it.each(rows.map((r) => [r.index, r] as const))(
    'vector %s: verification gives the expected result',
    (_i, r) => {
      expect(verifyTapscriptPartial(`0x${r.publicKey}`, bytes(r.message), `0x${r.signature}`)).toBe(
        r.ok,
      );
    },
  );
});

describe('P2WSH ECDSA partial signatures', () => {
  const secretKey = secp256k1.utils.randomSecretKey();
  const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(secretKey, true)).toString('hex')}`;
  const sighash = crypto.getRandomValues(new Uint8Array(32));

  it('are DER with low S plus the sighash byte, and verify', () => {
    const sig = signP2wshPartial({ secretKey, sighash });
    const raw = bytes(sig.slice(2));
    expect(raw[0]).toBe(0x30);
    expect(raw[raw.length - 1]).toBe(0x01);
    const parsed = secp256k1.Signature.fromBytes(raw.subarray(0, -1), 'der');
    expect(parsed.s <= secp256k1.Point.CURVE().n / 2n).toBe(true);
    expect(verifyP2wshPartial(publicKey, sighash, sig)).toBe(true);
  });

  it('malleated high-S signature is refused (non-standard, third-party malleable)', () => {
    const sig = signP2wshPartial({ secretKey, sighash });
    const raw = bytes(sig.slice(2));
    const parsed = secp256k1.Signature.fromBytes(raw.subarray(0, -1), 'der');
    const high = new secp256k1.Signature(parsed.r, secp256k1.Point.CURVE().n - parsed.s).toBytes(
      'der',
    );
    const malleated = `0x${Buffer.from([...high, 0x01]).toString('hex')}`;
    expect(verifyP2wshPartial(publicKey, sighash, malleated)).toBe(false);
  });

  it('signature over another sighash is refused', () => {
    const sig = signP2wshPartial({ secretKey, sighash });
    expect(verifyP2wshPartial(publicKey, new Uint8Array(32), sig)).toBe(false);
  });
});
