/**
 * Canonical JSON and tagged hashes. Anything two parties sign or compare (DKG transcripts,
 * requests, envelopes' associated data) is hashed from one canonical text, so key order or
 * whitespace can never make two honest views differ, and a tag per purpose keeps a signature
 * made for one purpose from being accepted for another (BIP340 tagged-hash style).
 */
import { schnorr } from '@noble/curves/secp256k1.js';

export type Canonical =
  | string
  | number
  | boolean
  | null
  | readonly Canonical[]
  | { readonly [key: string]: Canonical | undefined };

/** JSON with object keys sorted; `undefined` members dropped; only safe integers allowed. */
export function canonicalJson(value: Canonical): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new TypeError(`canonicalJson: ${value} is not a safe integer`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: Canonical) => canonicalJson(v)).join(',')}]`;
  const object = value as { readonly [key: string]: Canonical | undefined };
  const members = Object.keys(object)
    .filter((k) => object[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k] as Canonical)}`);
  return `{${members.join(',')}}`;
}

const DOMAIN = 'rollup-custody/v1/';

/** sha256(sha256(tag) || sha256(tag) || canonical json), tag prefixed with our domain. */
export function taggedJsonHash(purpose: string, value: Canonical): Uint8Array {
  return schnorr.utils.taggedHash(DOMAIN + purpose, new TextEncoder().encode(canonicalJson(value)));
}

/** Constant-time equality for secrets and MACs: the time taken never depends on where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
