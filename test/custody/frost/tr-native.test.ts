/**
 * The native secp256k1-tr hot path (tr-native.ts) against noble's schnorr_FROST on random
 * dealer keys and random signer subsets: the same commitments from the same randomness, the
 * same signature shares and the same aggregate signature, across both parities of the group
 * key and of the group commitment (each branch of the Taproot adjustments).
 */
import { schnorr, schnorr_FROST, secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { runAggregate } from '../../../src/custody/frost/aggregate.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { runSign } from '../../../src/custody/frost/sign.ts';
import {
  fromNoblePublic,
  fromNobleSecret,
  toNobleCommitment,
  toNobleNonces,
  toNoblePublic,
  toNobleSecret,
  type WireNonceCommitment,
} from '../../../src/custody/frost/wire.ts';

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

function recordedRng() {
  const drawn: Uint8Array[] = [];
  const rng = (n = 32) => {
    const b = crypto.getRandomValues(new Uint8Array(n));
    drawn.push(Uint8Array.from(b));
    return b;
  };
  const replay = () => {
    const queue = drawn.map((b) => Uint8Array.from(b));
    return (n = 32) => {
      const next = queue.shift();
      if (!next || next.length !== n) throw new Error('replay exhausted');
      return next;
    };
  };
  return { rng, replay };
}

describe('native secp256k1-tr FROST path matches noble', () => {
  it('commit, signShare and aggregate agree on random keys, subsets and messages', () => {
    const parities = { oddKey: 0, evenKey: 0, oddR: 0, evenR: 0 };
    for (let round = 0; round < 40; round++) {
      const max = 3 + (round % 3);
      const min = 2 + (round % 2);
      const deal = schnorr_FROST.trustedDealer({ min, max });
      const groupKey = fromNoblePublic('secp256k1-tr', deal.public);
      const ids = Object.keys(deal.secretShares).sort(() => Math.random() - 0.5);
      const chosen = ids.slice(0, min + (round % (max - min + 1)));
      const shares = chosen.map((id) =>
        fromNobleSecret('secp256k1-tr', deal.secretShares[id] as never),
      );
      const message = crypto.getRandomValues(new Uint8Array(round % 5 === 0 ? 0 : 32));

      const rounds = shares.map((share) => {
        const { rng, replay } = recordedRng();
        const ours = runCommit({ share, rng });
        const theirs = schnorr_FROST.commit(toNobleSecret(share), replay());
        expect(ours.commitment).toEqual({
          identifier: share.identifier,
          hiding: hex(theirs.commitments.hiding),
          binding: hex(theirs.commitments.binding),
        });
        expect(ours.nonces).toEqual({
          hiding: hex(theirs.nonces.hiding),
          binding: hex(theirs.nonces.binding),
        });
        return { share, ...ours };
      });
      const commitments: WireNonceCommitment[] = rounds.map((r) => r.commitment);
      const sigShares = rounds.map((r) => {
        const ours = runSign({
          groupKey,
          share: r.share,
          nonces: { ...r.nonces },
          commitments,
          message,
          verifyOwnShare: false,
        }).signatureShare;
        const theirs = schnorr_FROST.signShare(
          toNobleSecret(r.share),
          toNoblePublic(groupKey),
          toNobleNonces(r.nonces),
          commitments.map(toNobleCommitment),
          message,
        );
        expect(ours.share).toBe(hex(theirs));
        return ours;
      });
      const { signature } = runAggregate({ groupKey, commitments, message, shares: sigShares });
      const noble = schnorr_FROST.aggregate(
        toNoblePublic(groupKey),
        commitments.map(toNobleCommitment),
        message,
        Object.fromEntries(sigShares.map((s) => [s.identifier.slice(2), bytes(s.share)])),
      );
      expect(signature).toBe(hex(noble));
      expect(
        schnorr.verify(bytes(signature), message, bytes(groupKey.commitments[0]!).slice(1)),
      ).toBe(true);

      const keyOdd = groupKey.commitments[0]!.startsWith('0x03');
      parities[keyOdd ? 'oddKey' : 'evenKey']++;
      const rOdd = groupCommitmentIsOdd(groupKey, commitments, message, sigShares);
      parities[rOdd ? 'oddR' : 'evenR']++;
    }
    expect(parities.oddKey).toBeGreaterThan(0);
    expect(parities.evenKey).toBeGreaterThan(0);
    expect(parities.oddR).toBeGreaterThan(0);
    expect(parities.evenR).toBeGreaterThan(0);
  });

  it('refuses a commitment list whose entry for the signer is not its own nonces', () => {
    const deal = schnorr_FROST.trustedDealer({ min: 2, max: 3 });
    const groupKey = fromNoblePublic('secp256k1-tr', deal.public);
    const shares = Object.values(deal.secretShares).map((s) => fromNobleSecret('secp256k1-tr', s));
    const a = runCommit({ share: shares[0]! });
    const b = runCommit({ share: shares[1]! });
    const other = runCommit({ share: shares[0]! });
    expect(() =>
      runSign({
        groupKey,
        share: shares[0]!,
        nonces: a.nonces,
        commitments: [other.commitment, b.commitment],
        message: new Uint8Array(32),
        verifyOwnShare: false,
      }),
    ).toThrow(/incorrect signer commitment/);
  });
});

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

/** Every share passes noble's verifyShare; then R's parity, recomputed independently. */
function groupCommitmentIsOdd(
  groupKey: Parameters<typeof toNoblePublic>[0],
  commitments: WireNonceCommitment[],
  message: Uint8Array,
  sigShares: { identifier: string; share: string }[],
): boolean {
  const pub = toNoblePublic(groupKey);
  const list = commitments.map(toNobleCommitment);
  for (const s of sigShares) {
    expect(
      schnorr_FROST.verifyShare(pub, list, message, s.identifier.slice(2), bytes(s.share)),
    ).toBe(true);
  }
  return groupCommitmentParity(groupKey, commitments, message);
}

/** Independent recomputation of R's parity with noble points (RFC 9591 §4.4-4.5). */
function groupCommitmentParity(
  groupKey: Parameters<typeof toNoblePublic>[0],
  commitments: WireNonceCommitment[],
  message: Uint8Array,
): boolean {
  const P = secp256k1.Point;
  const enc = new TextEncoder();
  const name = 'FROST-secp256k1-SHA256-TR-v1';
  const sorted = [...commitments].sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
  let gk = P.fromBytes(bytes(groupKey.commitments[0]!));
  if (gk.y % 2n === 1n) gk = gk.negate();
  const encoded = sorted.flatMap((c) => [bytes(c.identifier), bytes(c.hiding), bytes(c.binding)]);
  const prefix = concat(
    gk.toBytes(true),
    sha256(concat(enc.encode(`${name}msg`), message)),
    sha256(concat(enc.encode(`${name}com`), ...encoded)),
  );
  let R = P.ZERO;
  for (const c of sorted) {
    const rho = secp256k1_hasher.hashToScalar(concat(prefix, bytes(c.identifier)), {
      DST: enc.encode(`${name}rho`),
    });
    R = R.add(P.fromBytes(bytes(c.hiding))).add(P.fromBytes(bytes(c.binding)).multiply(rho));
  }
  return R.y % 2n === 1n;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
