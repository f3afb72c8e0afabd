/**
 * Group signature verification. For the Taproot suite the signature is checked as plain BIP340
 * against the x-only output key, exactly what a Bitcoin node will do with it.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '../wire-check.ts';
import { frostSuite } from './suite.ts';
import { outputKeyXOnly, type WireGroupKey } from './wire.ts';

export function verifyGroupSignature(
  groupKey: WireGroupKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (groupKey.suite === 'secp256k1-tr') {
    return schnorr.verify(signature, message, hexToBytes(outputKeyXOnly(groupKey)));
  }
  return frostSuite(groupKey.suite).verify(
    signature,
    message,
    hexToBytes(groupKey.commitments[0] as string),
  );
}
