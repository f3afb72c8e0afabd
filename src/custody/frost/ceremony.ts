/**
 * A key ceremony's fixed parameters, agreed before round 1: suite, threshold and the exact
 * participant set with each participant's identity key. Every signed DKG message commits to the
 * ceremony's digest, so a package cannot be moved to a ceremony with other members or threshold.
 */
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { taggedJsonHash } from '../canonical.ts';
import { parseIdentityKey } from '../identity.ts';
import { expectArray, expectObject, expectString, toHex } from '../wire-check.ts';
import { type FrostSuiteName, parseSuiteName } from './suite.ts';
import { type Hex, parseIdentifier, parseThreshold, type Threshold } from './wire.ts';

export interface Participant {
  identifier: Hex;
  /** Compressed secp256k1 identity key: verifies its statements, receives its envelopes. */
  identityKey: Hex;
}

export interface KeyCeremony {
  ceremonyId: string;
  suite: FrostSuiteName;
  threshold: Threshold;
  participants: Participant[];
}

/** A participant's FROST identifier derived from its identity key: no index to configure. */
export function identifierForIdentityKey(identityKey: Hex): Hex {
  return `0x${schnorr_FROST.Identifier.derive(`rollup-custody/v1/participant/${identityKey}`)}`;
}

export function parseCeremony(value: unknown, field = 'ceremony'): KeyCeremony {
  const o = expectObject(value, field);
  const threshold = parseThreshold(o.threshold, `${field}.threshold`);
  const participants = expectArray(o.participants, `${field}.participants`).map((p, i) => {
    const po = expectObject(p, `${field}.participants[${i}]`);
    return {
      identifier: parseIdentifier(po.identifier, `${field}.participants[${i}].identifier`),
      identityKey: parseIdentityKey(po.identityKey, `${field}.participants[${i}].identityKey`),
    };
  });
  if (participants.length !== threshold.max) {
    throw new InvalidInputError(`${field}.participants: expected ${threshold.max} participants`, {
      field,
    });
  }
  const ids = new Set(participants.map((p) => p.identifier));
  const keys = new Set(participants.map((p) => p.identityKey));
  if (ids.size !== participants.length || keys.size !== participants.length) {
    throw new InvalidInputError(
      `${field}.participants: identifiers and identity keys must be unique`,
      { field },
    );
  }
  return {
    ceremonyId: expectString(o.ceremonyId, `${field}.ceremonyId`, 100),
    suite: parseSuiteName(o.suite, `${field}.suite`),
    threshold,
    participants: [...participants].sort((a, b) => compareHex(a.identifier, b.identifier)),
  };
}

export function ceremonyDigest(ceremony: KeyCeremony): Hex {
  return toHex(
    taggedJsonHash('ceremony', {
      ceremonyId: ceremony.ceremonyId,
      suite: ceremony.suite,
      threshold: { min: ceremony.threshold.min, max: ceremony.threshold.max },
      participants: ceremony.participants.map((p) => ({
        identifier: p.identifier,
        identityKey: p.identityKey,
      })),
    }),
  );
}

export function participantById(
  ceremony: KeyCeremony,
  identifier: Hex,
  field: string,
): Participant {
  const p = ceremony.participants.find((x) => x.identifier === identifier);
  if (p === undefined)
    throw new InvalidInputError(`${field}: ${identifier} is not in the ceremony`, { field });
  return p;
}

export function participantByKey(ceremony: KeyCeremony, identityKey: Hex): Participant {
  const p = ceremony.participants.find((x) => x.identityKey === identityKey);
  if (p === undefined) {
    throw new InvalidInputError('ceremony: this signer is not a participant', {
      field: 'ceremony.participants',
    });
  }
  return p;
}

/** Same-length lower-case hex compares like the numbers it encodes. */
export function compareHex(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
