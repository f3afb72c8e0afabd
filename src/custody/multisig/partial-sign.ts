/**
 * Multi-sig partial signatures over a sighash digest the settlement builder computed (BIP143 for
 * P2WSH, BIP341 script-path for tapscript). Each signing path verifies its own output; the
 * coordinator-side verifiers accept exactly what Bitcoin's standardness rules accept.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { verifyBip340 } from '../bip340.ts';
import { hexToBytes, toHex } from '../wire-check.ts';

export const SIGHASH_DEFAULT = 0x00;
export const SIGHASH_ALL = 0x01;
const SIGHASH_TYPES = new Set([0x01, 0x02, 0x03, 0x81, 0x82, 0x83]);

export interface EcdsaPartialOpts {
  secretKey: Uint8Array;
  /** 32-byte BIP143 sighash. */
  sighash: Uint8Array;
  sighashType?: number;
}

/** DER signature with low S (BIP62/BIP146 standardness) followed by the sighash type byte. */
export function signP2wshPartial(opts: EcdsaPartialOpts): string {
  const type = opts.sighashType ?? SIGHASH_ALL;
  checkDigest(opts.sighash);
  if (!SIGHASH_TYPES.has(type))
    throw new InvalidInputError('sighashType: not a legacy/segwit v0 type');
  const der = secp256k1.sign(opts.sighash, opts.secretKey, {
    prehash: false,
    lowS: true,
    format: 'der',
  });
  const publicKey = secp256k1.getPublicKey(opts.secretKey, true);
  if (
    !secp256k1.verify(der, opts.sighash, publicKey, { prehash: false, lowS: true, format: 'der' })
  ) {
    throw new Error('own ECDSA signature failed verification');
  }
  return toHex(Uint8Array.from([...der, type]));
}

export function verifyP2wshPartial(
  publicKey: string,
  sighash: Uint8Array,
  signature: string,
): boolean {
  const bytes = hexToBytes(signature);
  if (bytes.length < 9 || bytes.length > 73) return false;
  const type = bytes[bytes.length - 1] as number;
  if (!SIGHASH_TYPES.has(type)) return false;
  try {
    return secp256k1.verify(bytes.subarray(0, -1), sighash, hexToBytes(publicKey), {
      prehash: false,
      lowS: true,
      format: 'der',
    });
  } catch {
    return false;
  }
}

export interface SchnorrPartialOpts {
  secretKey: Uint8Array;
  /** 32-byte BIP341 script-path sighash. */
  sighash: Uint8Array;
  sighashType?: number;
  /** BIP340 auxiliary randomness; fresh random bytes unless a test fixes it. */
  auxRand?: Uint8Array;
}

/** BIP340 signature; 64 bytes for SIGHASH_DEFAULT, else the type byte appended (BIP341). */
export function signTapscriptPartial(opts: SchnorrPartialOpts): string {
  const type = opts.sighashType ?? SIGHASH_DEFAULT;
  checkDigest(opts.sighash);
  if (type !== SIGHASH_DEFAULT && !SIGHASH_TYPES.has(type)) {
    throw new InvalidInputError('sighashType: not a BIP341 type');
  }
  const aux = opts.auxRand ?? crypto.getRandomValues(new Uint8Array(32));
  const sig = schnorr.sign(opts.sighash, opts.secretKey, aux);
  if (!verifyBip340(sig, opts.sighash, schnorr.getPublicKey(opts.secretKey))) {
    throw new Error('own BIP340 signature failed verification');
  }
  return toHex(type === SIGHASH_DEFAULT ? sig : Uint8Array.from([...sig, type]));
}

export function verifyTapscriptPartial(
  xOnlyKey: string,
  sighash: Uint8Array,
  signature: string,
): boolean {
  const bytes = hexToBytes(signature);
  if (bytes.length === 65 && !SIGHASH_TYPES.has(bytes[64] as number)) return false;
  if (bytes.length !== 64 && bytes.length !== 65) return false;
  try {
    return verifyBip340(bytes.subarray(0, 64), sighash, hexToBytes(xOnlyKey));
  } catch {
    return false;
  }
}

function checkDigest(sighash: Uint8Array): void {
  if (!(sighash instanceof Uint8Array) || sighash.length !== 32) {
    throw new InvalidInputError('sighash: expected 32 bytes', { field: 'sighash' });
  }
}
