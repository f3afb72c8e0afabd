/**
 * Our wire formats for FROST objects: JSON with 0x-hex fields. Participant identifiers are
 * 32-byte big-endian scalars (RFC 9591 SerializeScalar), also as 0x-hex, and are the keys of
 * `verifyingShares`. Decoders check every field at the boundary and name it when it is wrong;
 * encoders turn noble's byte objects into these shapes.
 */
import type {
  FrostPublic,
  FrostSecret,
  NonceCommitments,
  Nonces,
} from '@noble/curves/abstract/frost.js';
import { InvalidInputError } from '../../shared/errors.ts';
import {
  expectArray,
  expectHex,
  expectInteger,
  expectObject,
  hexToBytes,
  toHex,
} from '../wire-check.ts';
import { type FrostSuiteName, parseSuiteName } from './suite.ts';

export type Hex = string;

export interface Threshold {
  /** Signatures need this many participants (t). */
  min: number;
  /** Participants in the key set (n). */
  max: number;
}

/** Public key package: `commitments[0]` is the group key (compressed), the rest the VSS. */
export interface WireGroupKey {
  suite: FrostSuiteName;
  threshold: Threshold;
  commitments: Hex[];
  verifyingShares: Record<Hex, Hex>;
}

/** A participant's secret signing share. Never leaves a signer unencrypted. */
export interface WireKeyShare {
  suite: FrostSuiteName;
  identifier: Hex;
  signingShare: Hex;
}

/** Round 1 output sent to the coordinator. */
export interface WireNonceCommitment {
  identifier: Hex;
  hiding: Hex;
  binding: Hex;
}

/** Round 1 secret, kept by the signer and used at most once. */
export interface WireNonces {
  hiding: Hex;
  binding: Hex;
}

/** Round 2 output sent to the coordinator. */
export interface WireSignatureShare {
  identifier: Hex;
  share: Hex;
}

const POINT = 33;
const SCALAR = 32;
// Generous: the reference vectors use a 257-participant key.
export const MAX_PARTICIPANTS = 1000;

export function parseIdentifier(value: unknown, field: string): Hex {
  const hex = expectHex(value, field, SCALAR);
  if (/^0x0+$/.test(hex))
    throw new InvalidInputError(`${field}: identifier must not be zero`, { field });
  return hex;
}

export function parseThreshold(value: unknown, field: string): Threshold {
  const o = expectObject(value, field);
  const max = expectInteger(o.max, `${field}.max`, 2, MAX_PARTICIPANTS);
  const min = expectInteger(o.min, `${field}.min`, 2, max);
  return { min, max };
}

export function parseGroupKey(value: unknown, field = 'groupKey'): WireGroupKey {
  const o = expectObject(value, field);
  const threshold = parseThreshold(o.threshold, `${field}.threshold`);
  const commitments = expectArray(o.commitments, `${field}.commitments`, MAX_PARTICIPANTS).map(
    (c, i) => expectHex(c, `${field}.commitments[${i}]`, POINT),
  );
  if (commitments.length !== threshold.min) {
    throw new InvalidInputError(`${field}.commitments: expected ${threshold.min} points`, {
      field,
    });
  }
  const shares = expectObject(o.verifyingShares, `${field}.verifyingShares`);
  const verifyingShares: Record<Hex, Hex> = {};
  for (const [id, point] of Object.entries(shares)) {
    const key = parseIdentifier(id, `${field}.verifyingShares key`);
    verifyingShares[key] = expectHex(point, `${field}.verifyingShares[${id}]`, POINT);
  }
  if (Object.keys(verifyingShares).length !== threshold.max) {
    throw new InvalidInputError(`${field}.verifyingShares: expected ${threshold.max} entries`, {
      field,
    });
  }
  return {
    suite: parseSuiteName(o.suite, `${field}.suite`),
    threshold,
    commitments,
    verifyingShares,
  };
}

export function parseKeyShare(value: unknown, field = 'keyShare'): WireKeyShare {
  const o = expectObject(value, field);
  return {
    suite: parseSuiteName(o.suite, `${field}.suite`),
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    signingShare: expectHex(o.signingShare, `${field}.signingShare`, SCALAR),
  };
}

export function parseNonceCommitment(value: unknown, field = 'commitment'): WireNonceCommitment {
  const o = expectObject(value, field);
  return {
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    hiding: expectHex(o.hiding, `${field}.hiding`, POINT),
    binding: expectHex(o.binding, `${field}.binding`, POINT),
  };
}

export function parseNonces(value: unknown, field = 'nonces'): WireNonces {
  const o = expectObject(value, field);
  return {
    hiding: expectHex(o.hiding, `${field}.hiding`, SCALAR),
    binding: expectHex(o.binding, `${field}.binding`, SCALAR),
  };
}

export function parseSignatureShare(value: unknown, field = 'signatureShare'): WireSignatureShare {
  const o = expectObject(value, field);
  return {
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    share: expectHex(o.share, `${field}.share`, SCALAR),
  };
}

/** A commitment list for one signing session: t..n distinct participants of the key. */
export function parseCommitmentList(
  value: unknown,
  groupKey: WireGroupKey,
  field = 'commitments',
): WireNonceCommitment[] {
  const list = expectArray(value, field, MAX_PARTICIPANTS).map((c, i) =>
    parseNonceCommitment(c, `${field}[${i}]`),
  );
  const { min, max } = groupKey.threshold;
  if (list.length < min || list.length > max) {
    throw new InvalidInputError(
      `${field}: expected ${min} to ${max} commitments, got ${list.length}`,
      {
        field,
      },
    );
  }
  const seen = new Set<string>();
  for (const c of list) {
    if (seen.has(c.identifier)) {
      throw new InvalidInputError(`${field}: ${c.identifier} appears twice`, { field });
    }
    if (!(c.identifier in groupKey.verifyingShares)) {
      throw new InvalidInputError(`${field}: ${c.identifier} is not a participant of this key`, {
        field,
      });
    }
    seen.add(c.identifier);
  }
  return list;
}

// noble identifiers are the same scalar as bare lower-case hex.
export const toNobleId = (id: Hex): string => id.slice(2);
export const fromNobleId = (id: string): Hex => `0x${id}`;

export function toNoblePublic(key: WireGroupKey): FrostPublic {
  return {
    signers: { ...key.threshold },
    commitments: key.commitments.map(hexToBytes),
    verifyingShares: Object.fromEntries(
      Object.entries(key.verifyingShares).map(([id, p]) => [toNobleId(id), hexToBytes(p)]),
    ),
  };
}

export function fromNoblePublic(suite: FrostSuiteName, pub: FrostPublic): WireGroupKey {
  return {
    suite,
    threshold: { min: pub.signers.min, max: pub.signers.max },
    commitments: pub.commitments.map(toHex),
    verifyingShares: Object.fromEntries(
      Object.entries(pub.verifyingShares).map(([id, p]) => [fromNobleId(id), toHex(p)]),
    ),
  };
}

export function toNobleSecret(share: WireKeyShare): FrostSecret {
  return { identifier: toNobleId(share.identifier), signingShare: hexToBytes(share.signingShare) };
}

export function fromNobleSecret(suite: FrostSuiteName, secret: FrostSecret): WireKeyShare {
  return {
    suite,
    identifier: fromNobleId(secret.identifier),
    signingShare: toHex(secret.signingShare),
  };
}

export function toNobleCommitment(c: WireNonceCommitment): NonceCommitments {
  return {
    identifier: toNobleId(c.identifier),
    hiding: hexToBytes(c.hiding),
    binding: hexToBytes(c.binding),
  };
}

export function fromNobleCommitment(c: NonceCommitments): WireNonceCommitment {
  return {
    identifier: fromNobleId(c.identifier),
    hiding: toHex(c.hiding),
    binding: toHex(c.binding),
  };
}

export function toNobleNonces(n: WireNonces): Nonces {
  return { hiding: hexToBytes(n.hiding), binding: hexToBytes(n.binding) };
}

export function fromNobleNonces(n: Nonces): WireNonces {
  return { hiding: toHex(n.hiding), binding: toHex(n.binding) };
}

/** The x-only key a Taproot output commits to: x(commitments[0]) (BIP340 lifts it to even y). */
export function outputKeyXOnly(key: WireGroupKey): Hex {
  return `0x${(key.commitments[0] as string).slice(4)}`;
}
