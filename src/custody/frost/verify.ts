/**
 * Group signature verification. For the Taproot suite the signature is checked as plain BIP340
 * against the x-only output key, exactly what a Bitcoin node will do with it.
 */
import { hexToBytes } from '../wire-check.ts';
import { frostSuite } from './suite.ts';
import { bip340Verify } from './tr-native.ts';
import { outputKeyXOnly, type WireGroupKey } from './wire.ts';

export function verifyGroupSignature(
  groupKey: WireGroupKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (groupKey.suite === 'secp256k1-tr') {
    // BIP340 verification as a Bitcoin node does it, with native points (tr-native.ts).
    return bip340Verify(signature, message, hexToBytes(outputKeyXOnly(groupKey)));
  }
  return frostSuite(groupKey.suite).verify(
    signature,
    message,
    hexToBytes(groupKey.commitments[0] as string),
  );
}
