import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureShareError } from '../../../src/custody/errors.ts';
import { runAggregate } from '../../../src/custody/frost/aggregate.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { runSign } from '../../../src/custody/frost/sign.ts';
import { parseCommitmentList } from '../../../src/custody/frost/wire.ts';
import { InvalidInputError } from '../../../src/shared/errors.ts';
import { runFullDkg } from '../helpers.ts';

const dkg = runFullDkg(3, 5);
const groupKey = dkg.results[0]!.groupKey;
const shares = dkg.results.map((r) => r.share);
const message = crypto.getRandomValues(new Uint8Array(32));

function session(signers = shares.slice(0, 3)) {
  const rounds = signers.map((share) => ({ share, ...runCommit({ share }) }));
  const commitments = rounds.map((r) => r.commitment);
  return { rounds, commitments };
}

describe('FROST signing rounds', () => {
  it('malicious signer bad share: aggregation names exactly the culprit', () => {
    const { rounds, commitments } = session();
    const sigShares = rounds.map(
      (r) =>
        runSign({ groupKey, share: r.share, nonces: r.nonces, commitments, message })
          .signatureShare,
    );
    const culprit = sigShares[1]!;
    const bad = [...sigShares];
    bad[1] = { ...culprit, share: `0x${'11'.repeat(32)}` };
    try {
      runAggregate({ groupKey, commitments, message, shares: bad });
      expect.unreachable('aggregation accepted a bad share');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSignatureShareError);
      expect((error as InvalidSignatureShareError).culprits).toEqual([culprit.identifier]);
      expect((error as Error).message).toContain(culprit.identifier);
    }
  });

  it('share made for a different message is caught as a bad share', () => {
    const { rounds, commitments } = session();
    const sigShares = rounds.map((r, i) => {
      const msg = i === 2 ? new Uint8Array(32).fill(1) : message;
      return runSign({ groupKey, share: r.share, nonces: r.nonces, commitments, message: msg })
        .signatureShare;
    });
    expect(() => runAggregate({ groupKey, commitments, message, shares: sigShares })).toThrow(
      InvalidSignatureShareError,
    );
  });

  it('substituted commitment: a signer refuses a list whose entry for it is not its own', () => {
    const { rounds, commitments } = session();
    const foreign = runCommit({ share: rounds[0]!.share }).commitment;
    const swapped = [foreign, ...commitments.slice(1)];
    expect(() =>
      runSign({
        groupKey,
        share: rounds[0]!.share,
        nonces: rounds[0]!.nonces,
        commitments: swapped,
        message,
      }),
    ).toThrow(InvalidInputError);
  });

  it('commitment list below the threshold is refused at the boundary', () => {
    const { commitments } = session();
    expect(() => parseCommitmentList(commitments.slice(0, 2), groupKey)).toThrow(
      /expected 3 to 5 commitments/,
    );
  });

  it('missing share is an input error, not a blamed signer', () => {
    const { rounds, commitments } = session();
    const sigShares = rounds
      .slice(0, 2)
      .map(
        (r) =>
          runSign({ groupKey, share: r.share, nonces: r.nonces, commitments, message })
            .signatureShare,
      );
    expect(() => runAggregate({ groupKey, commitments, message, shares: sigShares })).toThrow(
      InvalidInputError,
    );
  });

  it('preprocessed commitments: a batch of nonces, each usable once, all 5 signers', () => {
    const batches = shares.map((share) => ({
      share,
      items: Array.from({ length: 3 }, () => runCommit({ share })),
    }));
    const drawn = batches.flatMap((b) => b.items.map((i) => i.commitment.hiding));
    expect(new Set(drawn).size).toBe(drawn.length);
    const other = new Uint8Array(32).fill(9);
    for (let k = 0; k < 3; k++) {
      const commitments = batches.map((b) => b.items[k]!.commitment);
      const sign = (b: (typeof batches)[number], msg: Uint8Array) =>
        runSign({ groupKey, share: b.share, nonces: b.items[k]!.nonces, commitments, message: msg })
          .signatureShare;
      const sigShares = batches.map((b) => sign(b, message));
      const { signature } = runAggregate({ groupKey, commitments, message, shares: sigShares });
      const xOnly = Buffer.from(dkg.results[0]!.outputKey.slice(2), 'hex');
      expect(schnorr.verify(Buffer.from(signature.slice(2), 'hex'), message, xOnly)).toBe(true);
      // Used once: the same nonces make no second share, for another message or the same one.
      for (const b of batches) {
        expect(() => sign(b, other)).toThrow(/already used/);
        expect(() => sign(b, message)).toThrow(/already used/);
      }
    }
  });
});
