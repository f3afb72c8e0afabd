/**
 * BIP341 key tweaking, used where noble does not tweak for us: a dealer-imported key (tweaked
 * before splitting, so the FROST group key IS the Taproot output key) and the NUMS-internal-key
 * tapscript output of the multi-sig scheme.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../shared/errors.ts';

const { Point } = secp256k1;
const Fn = Point.Fn;

/** hash_TapTweak(x(P) || merkleRoot); an absent script tree is an empty merkle root (BIP86). */
export function tapTweak(
  internalXOnly: Uint8Array,
  merkleRoot: Uint8Array = new Uint8Array(0),
): bigint {
  const t = Fn.fromBytes(schnorr.utils.taggedHash('TapTweak', internalXOnly, merkleRoot), true);
  // BIP341 taproot_tweak_pubkey: "if t >= SECP256K1_ORDER: raise ValueError"
  if (!Fn.isValid(t) || t === 0n) throw new Error('TapTweak out of range');
  return t;
}

/**
 * BIP341 taproot_tweak_seckey: "seckey = seckey0 if has_even_y(P) else SECP256K1_ORDER - seckey0;
 * return (seckey + t) % SECP256K1_ORDER". Does not modify its input.
 */
export function tapTweakSecretKey(secretKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  if (!secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new InvalidInputError('secretKey: not a valid secp256k1 scalar', { field: 'secretKey' });
  }
  let d = Fn.fromBytes(secretKey);
  const P = Point.BASE.multiply(d);
  if (P.y % 2n !== 0n) d = Fn.neg(d);
  const t = tapTweak(schnorr.utils.pointToBytes(P), merkleRoot);
  const tweaked = Fn.add(d, t);
  if (tweaked === 0n) throw new Error('tweaked key is zero');
  return Fn.toBytes(tweaked);
}

/** BIP341 taproot_tweak_pubkey: Q = lift_x(P) + t·G; returns x(Q) and Q's y parity. */
export function tapTweakPublicKey(
  internalXOnly: Uint8Array,
  merkleRoot?: Uint8Array,
): { outputKey: Uint8Array; parity: 0 | 1 } {
  const P = schnorr.utils.lift_x(Fn.fromBytes(internalXOnly, true));
  const Q = P.add(Point.BASE.multiply(tapTweak(internalXOnly, merkleRoot)));
  return { outputKey: schnorr.utils.pointToBytes(Q), parity: Q.y % 2n === 0n ? 0 : 1 };
}
