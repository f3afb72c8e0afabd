import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { AuthenticationFailedError, DkgInconsistentError } from '../../../src/custody/errors.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import {
  computeRound2Shares,
  finishKey,
  parseDkgConfirmation,
  runDkgConfirm,
  runDkgEcho,
  runDkgRound1,
  runDkgRound2,
} from '../../../src/custody/frost/keygen-dkg.ts';
import { tapTweakPublicKey } from '../../../src/custody/taproot.ts';
import { overTheWire, readFixtureJson } from '../fixtures.ts';
import { runFullDkg, signWith } from '../helpers.ts';

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

describe.each([
  [2, 3],
  [3, 5],
])('DKG %i-of-%i with no dealer', (min, max) => {
  const dkg = runFullDkg(min, max);
  const groupKey = dkg.results[0]!.groupKey;

  it('gives every participant the same group key, and all confirm it', () => {
    for (const r of dkg.results) expect(r.groupKey).toEqual(groupKey);
    const confirmations = dkg.results.map((r) => parseDkgConfirmation(overTheWire(r.confirmation)));
    const { outputKey } = runDkgConfirm({ ceremony: dkg.ceremony, groupKey, confirmations });
    expect(outputKey).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('outputs the BIP341-tweaked key of the untweaked DKG sum (noble applies the TapTweak)', () => {
    const sum = dkg.packages
      .map((p) => secp256k1.Point.fromBytes(hexBytes(p.commitment[0]!)))
      .reduce((a, b) => a.add(b));
    const internal = schnorr.utils.pointToBytes(sum);
    const { outputKey } = tapTweakPublicKey(internal);
    expect(dkg.results[0]!.outputKey).toBe(`0x${Buffer.from(outputKey).toString('hex')}`);
  });

  it('any t participants produce a BIP340 signature valid under the output key', () => {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const signers = dkg.results.slice(max - min).map((r) => r.share);
    const { signature } = signWith(groupKey, signers, message);
    expect(schnorr.verify(hexBytes(signature), message, hexBytes(dkg.results[0]!.outputKey))).toBe(
      true,
    );
  });
});

describe('attacks on the DKG', () => {
  it('inconsistent DKG packages: a participant equivocating through the relay stops round 2', () => {
    const dkg = runFullDkg(2, 3);
    const [a, b, c] = dkg.identities;
    const { ceremony } = dkg;
    // A produces a second round-1 package; the relay shows B the first and C the second.
    const second = runDkgRound1({ ceremony, identity: a! });
    const forC = dkg.packages.map((p, i) => (i === 0 ? second.package : p));
    const echoB = runDkgEcho({
      ceremony,
      identity: b!,
      state: dkg.r1[1]!.state,
      packages: dkg.packages,
    });
    const echoC = runDkgEcho({ ceremony, identity: c!, state: dkg.r1[2]!.state, packages: forC });
    expect(echoB.transcriptHash).not.toBe(echoC.transcriptHash);
    const echoes = [dkg.echoes[0]!, echoB.echo, echoC.echo];
    const attempt = () =>
      runDkgRound2({
        ceremony,
        identity: b!,
        state: dkg.r1[1]!.state,
        packages: dkg.packages,
        echoes,
      });
    expect(attempt).toThrow(DkgInconsistentError);
    try {
      attempt();
    } catch (error) {
      expect((error as DkgInconsistentError).participants).toEqual([dkg.r1[2]!.state.identifier]);
    }
  });

  it('forged round-1 package: a relay that alters a commitment is caught by the signature', () => {
    const dkg = runFullDkg(2, 3);
    const tampered = dkg.packages.map((p, i) =>
      i === 0
        ? { ...p, commitment: [dkg.packages[1]!.commitment[0]!, ...p.commitment.slice(1)] }
        : p,
    );
    expect(() =>
      runDkgEcho({
        ceremony: dkg.ceremony,
        identity: dkg.identities[1]!,
        state: dkg.r1[1]!.state,
        packages: tampered,
      }),
    ).toThrow(AuthenticationFailedError);
  });

  it('group key substitution: the coordinator cannot claim a key the participants did not confirm', () => {
    const dkg = runFullDkg(2, 3);
    const other = runFullDkg(2, 3).results[0]!.groupKey;
    const confirmations = dkg.results.map((r) => r.confirmation);
    expect(() => runDkgConfirm({ ceremony: dkg.ceremony, groupKey: other, confirmations })).toThrow(
      DkgInconsistentError,
    );
  });

  it('a missing echo is treated as disagreement', () => {
    const dkg = runFullDkg(2, 3);
    expect(() =>
      runDkgRound2({
        ceremony: dkg.ceremony,
        identity: dkg.identities[0]!,
        state: dkg.r1[0]!.state,
        packages: dkg.packages,
        echoes: dkg.echoes.slice(1),
      }),
    ).toThrow(DkgInconsistentError);
  });
});

interface DkgVector {
  config: { MIN_PARTICIPANTS: number; MAX_PARTICIPANTS: number };
  inputs: Record<string, unknown> & { verifying_key: string };
}
interface DkgParticipantVector {
  identifier: number;
  signing_key: string;
  coefficient: string;
  vss_commitments: string[];
  proof_of_knowledge: string;
  signing_shares: Record<string, string>;
  verifying_share: string;
  signing_share: string;
}

describe.each([
  ['secp256k1', 'frost/frost-secp256k1/vectors_dkg.json'],
  ['secp256k1-tr', 'frost/frost-secp256k1-tr/vectors_dkg.json'],
] as const)('DKG vectors, suite %s', (suite, path) => {
  it('round 2 shares and the final key packages match the vector', () => {
    const v = readFixtureJson<DkgVector>(path);
    const { MIN_PARTICIPANTS: min, MAX_PARTICIPANTS: max } = v.config;
    const id = (n: number | string) => `0x${Number(n).toString(16).padStart(64, '0')}`;
    const parts = Array.from(
      { length: max },
      (_, i) => v.inputs[String(i + 1)] as DkgParticipantVector,
    );
    const ceremony = parseCeremony(
      overTheWire({
        ceremonyId: 'vectors',
        suite,
        threshold: { min, max },
        // Identity keys are irrelevant to the FROST arithmetic; any distinct points do.
        participants: parts.map((p) => ({
          identifier: id(p.identifier),
          identityKey: `0x${secp256k1.Point.BASE.multiply(BigInt(p.identifier)).toHex(true)}`,
        })),
      }),
    );
    const packages = parts.map((p) => ({
      identifier: id(p.identifier),
      commitment: p.vss_commitments.map((c) => `0x${c}`),
      proofOfKnowledge: `0x${p.proof_of_knowledge}`,
    }));
    for (const p of parts) {
      const state = {
        ceremonyId: 'vectors',
        identifier: id(p.identifier),
        coefficients: [`0x${p.signing_key}`, `0x${p.coefficient}`],
        commitment: p.vss_commitments.map((c) => `0x${c}`),
      };
      const shares = computeRound2Shares(ceremony, state, packages);
      // The vector lists, per participant, the shares it RECEIVED, keyed by sender.
      for (const q of parts.filter((x) => x.identifier !== p.identifier)) {
        const sent = Buffer.from(shares[id(q.identifier)]!).toString('hex');
        expect(sent).toBe(q.signing_shares[String(p.identifier)]);
      }
      const received = Object.fromEntries(
        Object.entries(p.signing_shares).map(([from, share]) => [id(from), hexBytes(share)]),
      );
      const { share, groupKey } = finishKey(ceremony, state, packages, received);
      expect(share.signingShare).toBe(`0x${p.signing_share}`);
      expect(groupKey.verifyingShares[id(p.identifier)]).toBe(`0x${p.verifying_share}`);
      expect(groupKey.commitments[0]).toBe(`0x${v.inputs.verifying_key}`);
    }
  });
});
