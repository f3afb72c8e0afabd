/**
 * The two FROST ciphersuites we speak. `secp256k1-tr` (FROST-secp256k1-SHA256-TR-v1) is the one
 * custody uses: its signatures are BIP340 signatures for Taproot key-path spends. Plain
 * `secp256k1` (RFC 9591) is kept so the reference vectors of both suites run through our code.
 */
import { schnorr_FROST, secp256k1_FROST } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../../shared/errors.ts';

export const FROST_SUITES = ['secp256k1-tr', 'secp256k1'] as const;
export type FrostSuiteName = (typeof FROST_SUITES)[number];

export type FrostApi = typeof schnorr_FROST;

export function frostSuite(name: FrostSuiteName): FrostApi {
  return name === 'secp256k1-tr' ? schnorr_FROST : secp256k1_FROST;
}

export function parseSuiteName(value: unknown, field: string): FrostSuiteName {
  if (!FROST_SUITES.includes(value as FrostSuiteName)) {
    throw new InvalidInputError(`${field}: expected one of ${FROST_SUITES.join(', ')}`, { field });
  }
  return value as FrostSuiteName;
}
