/**
 * Distributed key generation with no dealer (the frost-rs three-round DKG, via noble's
 * schnorr_FROST.DKG), plus an echo round so a relaying coordinator cannot equivocate:
 *
 *   round 1  each signer publishes its VSS commitment and proof of knowledge, signed by its
 *            identity key (so the relay cannot forge or swap a participant's package);
 *   echo     each signer hashes the full set of round-1 packages it was shown and signs that
 *            transcript hash;
 *   round 2  each signer checks every echo carries the same hash as its own (else nobody sends
 *            secret shares: "inconsistent DKG packages"), then seals one share per recipient to
 *            the recipient's identity key (envelope.ts);
 *   round 3  each signer opens its envelopes, verifies each share against the sender's VSS
 *            commitment (noble), derives its key share, and signs a confirmation of the group key.
 *
 * noble applies the BIP341 TapTweak (empty script tree) to the DKG output for the -tr suite, so
 * `commitments[0]` of the result is the Taproot output key (x-only = x of that point).
 */
import type { DKG_Round1, DKG_Round2, DKG_Secret } from '@noble/curves/abstract/frost.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { taggedJsonHash } from '../canonical.ts';
import { openEnvelope, parseEnvelope, type SealedEnvelope, sealEnvelope } from '../envelope.ts';
import { AuthenticationFailedError, DkgInconsistentError } from '../errors.ts';
import { type IdentityKey, signStatement, verifyStatement } from '../identity.ts';
import {
  expectArray,
  expectHex,
  expectObject,
  expectString,
  hexToBytes,
  toHex,
} from '../wire-check.ts';
import {
  ceremonyDigest,
  compareHex,
  type KeyCeremony,
  participantById,
  participantByKey,
} from './ceremony.ts';
import { frostSuite } from './suite.ts';
import {
  fromNobleId,
  fromNoblePublic,
  fromNobleSecret,
  type Hex,
  outputKeyXOnly,
  parseIdentifier,
  toNobleId,
  type WireGroupKey,
  type WireKeyShare,
} from './wire.ts';

/** Secret round state a signer persists (encrypted) between rounds. */
export interface WireDkgState {
  ceremonyId: string;
  identifier: Hex;
  coefficients: Hex[];
  commitment: Hex[];
}

export interface DkgRound1Package {
  ceremonyId: string;
  identifier: Hex;
  commitment: Hex[];
  proofOfKnowledge: Hex;
  signature: Hex;
}

export interface DkgEcho {
  ceremonyId: string;
  identifier: Hex;
  transcriptHash: Hex;
  signature: Hex;
}

export interface DkgShareEnvelope {
  from: Hex;
  to: Hex;
  envelope: SealedEnvelope;
}

export interface DkgConfirmation {
  ceremonyId: string;
  identifier: Hex;
  groupKeyHash: Hex;
  outputKey: Hex;
  signature: Hex;
}

const SHARE_PURPOSE = 'dkg-round2-share';

// ---- round 1 ---------------------------------------------------------------------------------

export interface DkgRound1Opts {
  ceremony: KeyCeremony;
  identity: IdentityKey;
}

export interface DkgRound1Result {
  /** Secret: persist encrypted; needed for rounds 2 and 3. */
  state: WireDkgState;
  package: DkgRound1Package;
}

export function runDkgRound1(opts: DkgRound1Opts): DkgRound1Result {
  const { ceremony, identity } = opts;
  const me = participantByKey(ceremony, identity.publicKey);
  const frost = frostSuite(ceremony.suite);
  const { public: pub, secret } = frost.DKG.round1(toNobleId(me.identifier), {
    ...ceremony.threshold,
  });
  const state: WireDkgState = {
    ceremonyId: ceremony.ceremonyId,
    identifier: me.identifier,
    coefficients: (secret.coefficients ?? []).map((c) => toHex(frost.utils.Fn.toBytes(c))),
    commitment: secret.commitment.map(toHex),
  };
  frost.DKG.clean(secret);
  const unsigned = {
    ceremonyId: ceremony.ceremonyId,
    identifier: me.identifier,
    commitment: pub.commitment.map(toHex),
    proofOfKnowledge: toHex(pub.proofOfKnowledge),
  };
  const signature = signStatement(identity, 'dkg-round1', round1Statement(ceremony, unsigned));
  return { state, package: { ...unsigned, signature } };
}

// ---- echo ------------------------------------------------------------------------------------

export interface DkgEchoOpts {
  ceremony: KeyCeremony;
  identity: IdentityKey;
  state: WireDkgState;
  /** All n round-1 packages as the relay delivered them, ours included. */
  packages: DkgRound1Package[];
}

export interface DkgEchoResult {
  echo: DkgEcho;
  transcriptHash: Hex;
}

export function runDkgEcho(opts: DkgEchoOpts): DkgEchoResult {
  const { ceremony, identity, state } = opts;
  const transcriptHash = checkRound1Packages(ceremony, state, opts.packages);
  const unsigned = {
    ceremonyId: ceremony.ceremonyId,
    identifier: state.identifier,
    transcriptHash,
  };
  const signature = signStatement(identity, 'dkg-echo', echoStatement(ceremony, unsigned));
  return { echo: { ...unsigned, signature }, transcriptHash };
}

// ---- round 2 ---------------------------------------------------------------------------------

export interface DkgRound2Opts extends DkgEchoOpts {
  /** All n echoes, ours included. */
  echoes: DkgEcho[];
}

export interface DkgRound2Result {
  /** One sealed share per other participant; the relay can read none of them. */
  envelopes: DkgShareEnvelope[];
}

export function runDkgRound2(opts: DkgRound2Opts): DkgRound2Result {
  const { ceremony, identity, state } = opts;
  checkTranscriptAgreement(opts);
  const shares = computeRound2Shares(ceremony, state, opts.packages);
  const envelopes: DkgShareEnvelope[] = [];
  for (const [to, share] of Object.entries(shares)) {
    const recipient = participantById(ceremony, to, 'round2 recipient');
    const context = { purpose: SHARE_PURPOSE, ceremonyId: ceremony.ceremonyId };
    envelopes.push({
      from: state.identifier,
      to,
      envelope: sealEnvelope(identity, recipient.identityKey, context, share),
    });
    share.fill(0);
  }
  return { envelopes };
}

// ---- round 3 ---------------------------------------------------------------------------------

export interface DkgRound3Opts extends DkgRound2Opts {
  /** The n-1 envelopes addressed to this signer. */
  received: DkgShareEnvelope[];
}

export interface DkgRound3Result {
  /** Secret: the signer's long-term key share; persist encrypted. */
  share: WireKeyShare;
  groupKey: WireGroupKey;
  /** x-only Taproot output key (BIP341-tweaked by noble's DKG for the -tr suite). */
  outputKey: Hex;
  confirmation: DkgConfirmation;
}

export function runDkgRound3(opts: DkgRound3Opts): DkgRound3Result {
  const { ceremony, identity, state } = opts;
  checkTranscriptAgreement(opts);
  const received = openReceivedShares(ceremony, identity, state, opts.received);
  const { share, groupKey } = finishKey(ceremony, state, opts.packages, received);
  const outputKey = outputKeyXOnly(groupKey);
  const unsigned = {
    ceremonyId: ceremony.ceremonyId,
    identifier: state.identifier,
    groupKeyHash: groupKeyHash(groupKey),
    outputKey,
  };
  const signature = signStatement(
    identity,
    'dkg-confirmation',
    confirmationStatement(ceremony, unsigned),
  );
  return { share, groupKey, outputKey, confirmation: { ...unsigned, signature } };
}

// ---- coordinator: accept the key only when every participant confirmed the same one ---------

export interface DkgConfirmOpts {
  ceremony: KeyCeremony;
  groupKey: WireGroupKey;
  confirmations: DkgConfirmation[];
}

export interface DkgConfirmResult {
  groupKey: WireGroupKey;
  outputKey: Hex;
}

export function runDkgConfirm(opts: DkgConfirmOpts): DkgConfirmResult {
  const { ceremony, groupKey } = opts;
  const expected = groupKeyHash(groupKey);
  const byId = new Map(opts.confirmations.map((c) => [c.identifier, c]));
  const disagreeing = ceremony.participants.filter((p) => {
    const c = byId.get(p.identifier);
    if (c === undefined || c.groupKeyHash !== expected || c.ceremonyId !== ceremony.ceremonyId)
      return true;
    const { signature, ...unsigned } = c;
    return !verifyStatement(
      p.identityKey,
      'dkg-confirmation',
      confirmationStatement(ceremony, unsigned),
      signature,
    );
  });
  if (disagreeing.length > 0) {
    throw new DkgInconsistentError(
      'participants did not all confirm this group key',
      disagreeing.map((p) => p.identifier),
    );
  }
  return { groupKey, outputKey: outputKeyXOnly(groupKey) };
}

export function groupKeyHash(groupKey: WireGroupKey): Hex {
  return toHex(
    taggedJsonHash('group-key', {
      suite: groupKey.suite,
      threshold: { min: groupKey.threshold.min, max: groupKey.threshold.max },
      commitments: groupKey.commitments,
      verifyingShares: groupKey.verifyingShares,
    }),
  );
}

// ---- pure FROST steps over noble (exported for the reference vectors) -----------------------

/** noble round 2: our polynomial evaluated at every other participant (after PoK checks). */
export function computeRound2Shares(
  ceremony: KeyCeremony,
  state: WireDkgState,
  packages: Pick<DkgRound1Package, 'identifier' | 'commitment' | 'proofOfKnowledge'>[],
): Record<Hex, Uint8Array> {
  const frost = frostSuite(ceremony.suite);
  const secret = restoreSecret(ceremony, state);
  try {
    const out = frost.DKG.round2(secret, othersOf(state, packages));
    return Object.fromEntries(
      Object.entries(out).map(([to, r2]) => [fromNobleId(to), Uint8Array.from(r2.signingShare)]),
    );
  } catch (error) {
    throw new InvalidInputError(`packages: ${(error as Error).message}`, { field: 'packages' });
  } finally {
    frost.DKG.clean(secret);
  }
}

/** noble round 3: verify each received share against its sender's VSS commitment and sum. */
export function finishKey(
  ceremony: KeyCeremony,
  state: WireDkgState,
  packages: Pick<DkgRound1Package, 'identifier' | 'commitment' | 'proofOfKnowledge'>[],
  received: Record<Hex, Uint8Array>,
): { share: WireKeyShare; groupKey: WireGroupKey } {
  const frost = frostSuite(ceremony.suite);
  const secret = restoreSecret(ceremony, state);
  const others = othersOf(state, packages);
  try {
    frost.DKG.round2(secret, others);
    const round2: DKG_Round2[] = Object.entries(received).map(([from, signingShare]) => ({
      identifier: toNobleId(from),
      signingShare: Uint8Array.from(signingShare),
    }));
    const key = frost.DKG.round3(secret, others, round2);
    return {
      share: fromNobleSecret(ceremony.suite, key.secret),
      groupKey: fromNoblePublic(ceremony.suite, key.public),
    };
  } catch (error) {
    throw new InvalidInputError(`round3: ${(error as Error).message}`, { field: 'received' });
  } finally {
    frost.DKG.clean(secret);
  }
}

function restoreSecret(ceremony: KeyCeremony, state: WireDkgState): DKG_Secret {
  const frost = frostSuite(ceremony.suite);
  return {
    identifier: BigInt(state.identifier),
    coefficients: state.coefficients.map((c) => frost.utils.Fn.fromBytes(hexToBytes(c))),
    commitment: state.commitment.map(hexToBytes),
    signers: { ...ceremony.threshold },
    step: 1,
  };
}

function othersOf(
  state: WireDkgState,
  packages: Pick<DkgRound1Package, 'identifier' | 'commitment' | 'proofOfKnowledge'>[],
): DKG_Round1[] {
  return packages
    .filter((p) => p.identifier !== state.identifier)
    .map((p) => ({
      identifier: toNobleId(p.identifier),
      commitment: p.commitment.map(hexToBytes),
      proofOfKnowledge: hexToBytes(p.proofOfKnowledge),
    }));
}

// ---- checks ----------------------------------------------------------------------------------

/** Exactly one validly signed package per participant, ours unchanged; returns the transcript hash. */
function checkRound1Packages(
  ceremony: KeyCeremony,
  state: WireDkgState,
  packages: DkgRound1Package[],
): Hex {
  if (packages.length !== ceremony.participants.length) {
    throw new InvalidInputError(`packages: expected ${ceremony.participants.length}`, {
      field: 'packages',
    });
  }
  const sorted = [...packages].sort((a, b) => compareHex(a.identifier, b.identifier));
  const forged: string[] = [];
  sorted.forEach((pkg, i) => {
    const p = ceremony.participants[i];
    if (
      p === undefined ||
      p.identifier !== pkg.identifier ||
      pkg.ceremonyId !== ceremony.ceremonyId
    ) {
      throw new InvalidInputError('packages: must hold exactly one package per participant', {
        field: 'packages',
      });
    }
    const { signature, ...unsigned } = pkg;
    if (
      !verifyStatement(p.identityKey, 'dkg-round1', round1Statement(ceremony, unsigned), signature)
    ) {
      forged.push(pkg.identifier);
    }
  });
  if (forged.length > 0) {
    throw new AuthenticationFailedError(
      `packages: not signed by their participant: ${forged.join(', ')}`,
      {
        participants: forged,
      },
    );
  }
  const own = sorted.find((p) => p.identifier === state.identifier);
  if (own === undefined || own.commitment.join() !== state.commitment.join()) {
    throw new DkgInconsistentError('packages: our own round-1 package was altered or left out', [
      state.identifier,
    ]);
  }
  return toHex(
    taggedJsonHash('dkg-transcript', {
      ceremony: ceremonyDigest(ceremony),
      packages: sorted.map((p) => ({ ...p })),
    }),
  );
}

/** Every participant must have signed the same transcript hash as ours. */
function checkTranscriptAgreement(opts: DkgRound2Opts): void {
  const { ceremony } = opts;
  const { transcriptHash } = runTranscriptOnly(opts);
  const byId = new Map(opts.echoes.map((e) => [e.identifier, e]));
  const disagreeing = ceremony.participants.filter((p) => {
    const e = byId.get(p.identifier);
    if (
      e === undefined ||
      e.ceremonyId !== ceremony.ceremonyId ||
      e.transcriptHash !== transcriptHash
    )
      return true;
    const { signature, ...unsigned } = e;
    return !verifyStatement(
      p.identityKey,
      'dkg-echo',
      echoStatement(ceremony, unsigned),
      signature,
    );
  });
  if (disagreeing.length > 0 || opts.echoes.length !== ceremony.participants.length) {
    throw new DkgInconsistentError(
      'participants saw different round-1 packages (or did not echo them): no shares are sent',
      disagreeing.map((p) => p.identifier),
    );
  }
}

function runTranscriptOnly(opts: DkgEchoOpts): { transcriptHash: Hex } {
  return { transcriptHash: checkRound1Packages(opts.ceremony, opts.state, opts.packages) };
}

function openReceivedShares(
  ceremony: KeyCeremony,
  identity: IdentityKey,
  state: WireDkgState,
  received: DkgShareEnvelope[],
): Record<Hex, Uint8Array> {
  const shares: Record<Hex, Uint8Array> = {};
  for (const item of received) {
    if (item.to !== state.identifier || item.from === state.identifier || item.from in shares) {
      throw new InvalidInputError('received: one envelope per other participant, addressed to us', {
        field: 'received',
      });
    }
    const sender = participantById(ceremony, item.from, 'received.from');
    const context = { purpose: SHARE_PURPOSE, ceremonyId: ceremony.ceremonyId };
    shares[item.from] = openEnvelope(identity, sender.identityKey, context, item.envelope);
  }
  if (Object.keys(shares).length !== ceremony.participants.length - 1) {
    throw new InvalidInputError(
      `received: expected ${ceremony.participants.length - 1} envelopes`,
      {
        field: 'received',
      },
    );
  }
  return shares;
}

function round1Statement(ceremony: KeyCeremony, p: Omit<DkgRound1Package, 'signature'>) {
  return { ceremony: ceremonyDigest(ceremony), ...p };
}

function echoStatement(ceremony: KeyCeremony, e: Omit<DkgEcho, 'signature'>) {
  return { ceremony: ceremonyDigest(ceremony), ...e };
}

function confirmationStatement(ceremony: KeyCeremony, c: Omit<DkgConfirmation, 'signature'>) {
  return { ceremony: ceremonyDigest(ceremony), ...c };
}

// ---- parsers for packages arriving over HTTP -------------------------------------------------

export function parseDkgRound1Package(value: unknown, field = 'package'): DkgRound1Package {
  const o = expectObject(value, field);
  return {
    ceremonyId: expectString(o.ceremonyId, `${field}.ceremonyId`, 100),
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    commitment: expectArray(o.commitment, `${field}.commitment`).map((c, i) =>
      expectHex(c, `${field}.commitment[${i}]`, 33),
    ),
    proofOfKnowledge: expectHex(o.proofOfKnowledge, `${field}.proofOfKnowledge`),
    signature: expectHex(o.signature, `${field}.signature`, 64),
  };
}

export function parseDkgEcho(value: unknown, field = 'echo'): DkgEcho {
  const o = expectObject(value, field);
  return {
    ceremonyId: expectString(o.ceremonyId, `${field}.ceremonyId`, 100),
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    transcriptHash: expectHex(o.transcriptHash, `${field}.transcriptHash`, 32),
    signature: expectHex(o.signature, `${field}.signature`, 64),
  };
}

export function parseDkgShareEnvelope(value: unknown, field = 'envelope'): DkgShareEnvelope {
  const o = expectObject(value, field);
  return {
    from: parseIdentifier(o.from, `${field}.from`),
    to: parseIdentifier(o.to, `${field}.to`),
    envelope: parseEnvelope(o.envelope, `${field}.envelope`),
  };
}

export function parseDkgConfirmation(value: unknown, field = 'confirmation'): DkgConfirmation {
  const o = expectObject(value, field);
  return {
    ceremonyId: expectString(o.ceremonyId, `${field}.ceremonyId`, 100),
    identifier: parseIdentifier(o.identifier, `${field}.identifier`),
    groupKeyHash: expectHex(o.groupKeyHash, `${field}.groupKeyHash`, 32),
    outputKey: expectHex(o.outputKey, `${field}.outputKey`, 32),
    signature: expectHex(o.signature, `${field}.signature`, 64),
  };
}
