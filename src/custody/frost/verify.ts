/**
 * Group signature verification. For the Taproot suite the signature is checked as plain BIP340
 * against the x-only output key, exactly what a Bitcoin node will do with it, and by the same
 * library a Bitcoin node uses (bip340.ts), not by the noble code that assembled it.
 */
import { verifyBip340 } from '../bip340.ts';
import { hexToBytes } from '../wire-check.ts';
import { frostSuite } from './suite.ts';
import { outputKeyXOnly, type WireGroupKey } from './wire.ts';

export function verifyGroupSignature(
  groupKey: WireGroupKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (groupKey.suite === 'secp256k1-tr') {
    return verifyBip340(signature, message, hexToBytes(outputKeyXOnly(groupKey)));
  }
  return frostSuite(groupKey.suite).verify(
    signature,
    message,
    hexToBytes(groupKey.commitments[0] as string),
  );
}
