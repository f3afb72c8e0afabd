/**
 * A signer's (or the coordinator's) long-term identity key on secp256k1. It signs statements
 * (DKG packages, transcript echoes, requests, responses) over a tagged hash of canonical JSON,
 * and receives end-to-end encrypted envelopes (ECDH in envelope.ts). Public keys travel as
 * 33-byte compressed points so the same key serves both uses.
 *
 * Statements are ECDSA (compact 64 bytes, low S enforced by libsecp256k1's verify) through the
 * native `secp256k1` binding: every request and response carries one, and the native path takes
 * 0.05 ms where noble's BIP340 sign + self-check takes about 4 ms here. These signatures never
 * reach Bitcoin, so the scheme is ours to choose; the tagged hash gives domain separation.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import native from 'secp256k1';
import { InvalidInputError } from '../shared/errors.ts';
import { type Canonical, taggedJsonHash } from './canonical.ts';
import { expectHex, hexToBytes, toHex } from './wire-check.ts';

export interface IdentityKey {
  /** 32-byte secret scalar; encrypted at rest by whoever stores it. */
  secretKey: Uint8Array;
  /** 0x-hex compressed public key (33 bytes). */
  publicKey: string;
}

export function generateIdentity(): IdentityKey {
  const secretKey = secp256k1.utils.randomSecretKey();
  return { secretKey, publicKey: toHex(secp256k1.getPublicKey(secretKey, true)) };
}

export function identityFromSecret(secretKey: Uint8Array): IdentityKey {
  if (!secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new InvalidInputError('identity secret key: not a valid secp256k1 scalar', {
      field: 'secretKey',
    });
  }
  return { secretKey, publicKey: toHex(secp256k1.getPublicKey(secretKey, true)) };
}

/** Checks a compressed public key is a curve point; returns it in canonical lower-case hex. */
export function parseIdentityKey(value: unknown, field: string): string {
  const hex = expectHex(value, field, 33);
  try {
    secp256k1.Point.fromBytes(hexToBytes(hex)).assertValidity();
  } catch {
    throw new InvalidInputError(`${field}: not a valid secp256k1 point`, { field });
  }
  return hex;
}

/** ECDSA signature over taggedHash(purpose, canonical json); verified before it is returned. */
export function signStatement(identity: IdentityKey, purpose: string, payload: Canonical): string {
  const digest = taggedJsonHash(purpose, payload);
  const { signature } = native.ecdsaSign(digest, identity.secretKey);
  if (!native.ecdsaVerify(signature, digest, hexToBytes(identity.publicKey))) {
    throw new Error('own statement signature failed verification');
  }
  return toHex(signature);
}

export function verifyStatement(
  publicKey: string,
  purpose: string,
  payload: Canonical,
  signature: string,
): boolean {
  if (!/^0x[0-9a-f]{128}$/i.test(signature) || !/^0x0[23][0-9a-f]{64}$/i.test(publicKey))
    return false;
  try {
    return native.ecdsaVerify(
      hexToBytes(signature),
      taggedJsonHash(purpose, payload),
      hexToBytes(publicKey),
    );
  } catch {
    return false; // not a curve point, or r/s out of range
  }
}
