/**
 * Test support: real identities, real ceremonies and a full in-process DKG whose messages cross
 * JSON (as they would cross HTTP through the coordinator). Nothing here fakes a component.
 */
import { runAggregate } from '../../src/custody/frost/aggregate.ts';
import {
  identifierForIdentityKey,
  type KeyCeremony,
  parseCeremony,
} from '../../src/custody/frost/ceremony.ts';
import { runCommit } from '../../src/custody/frost/commit.ts';
import {
  type DkgRound1Result,
  parseDkgEcho,
  parseDkgRound1Package,
  parseDkgShareEnvelope,
  runDkgEcho,
  runDkgRound1,
  runDkgRound2,
  runDkgRound3,
} from '../../src/custody/frost/keygen-dkg.ts';
import { runSign } from '../../src/custody/frost/sign.ts';
import type { WireGroupKey, WireKeyShare } from '../../src/custody/frost/wire.ts';
import { generateIdentity, type IdentityKey } from '../../src/custody/identity.ts';
import { overTheWire } from './fixtures.ts';

export function makeCeremony(min: number, max: number, ceremonyId = 'ceremony-1') {
  const identities = Array.from({ length: max }, () => generateIdentity());
  const ceremony: KeyCeremony = parseCeremony(
    overTheWire({
      ceremonyId,
      suite: 'secp256k1-tr',
      threshold: { min, max },
      participants: identities.map((i) => ({
        identifier: identifierForIdentityKey(i.publicKey),
        identityKey: i.publicKey,
      })),
    }),
  );
  // Order identities like the ceremony's participants (sorted by identifier).
  const ordered = ceremony.participants.map(
    (p) => identities.find((i) => i.publicKey === p.identityKey) as IdentityKey,
  );
  return { ceremony, identities: ordered };
}

export function runFullDkg(min: number, max: number) {
  const { ceremony, identities } = makeCeremony(min, max);
  const r1: DkgRound1Result[] = identities.map((identity) => runDkgRound1({ ceremony, identity }));
  const packages = r1.map((r) => parseDkgRound1Package(overTheWire(r.package)));
  const echoes = r1.map((r, i) =>
    parseDkgEcho(
      overTheWire(
        runDkgEcho({ ceremony, identity: identities[i]!, state: r.state, packages }).echo,
      ),
    ),
  );
  const round2 = r1.map((r, i) =>
    runDkgRound2({
      ceremony,
      identity: identities[i]!,
      state: r.state,
      packages,
      echoes,
    }).envelopes.map((e) => parseDkgShareEnvelope(overTheWire(e))),
  );
  const relayed = round2.flat();
  const results = r1.map((r, i) =>
    runDkgRound3({
      ceremony,
      identity: identities[i]!,
      state: r.state,
      packages,
      echoes,
      received: relayed.filter((e) => e.to === r.state.identifier),
    }),
  );
  return { ceremony, identities, r1, packages, echoes, relayed, results };
}

/** One FROST signing round among `shares` (any t of them), aggregated and verified. */
export function signWith(groupKey: WireGroupKey, shares: WireKeyShare[], message: Uint8Array) {
  const rounds = shares.map((share) => ({ share, ...runCommit({ share }) }));
  const commitments = rounds.map((r) => r.commitment);
  const sigShares = rounds.map(
    (r) =>
      runSign({ groupKey, share: r.share, nonces: r.nonces, commitments, message }).signatureShare,
  );
  return {
    ...runAggregate({ groupKey, commitments, message, shares: sigShares }),
    commitments,
    sigShares,
  };
}
