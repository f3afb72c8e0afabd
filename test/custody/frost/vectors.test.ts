/**
 * The ZcashFoundation/frost interop vectors for both ciphersuites, run through our wire
 * formats: every value the vectors give crosses a JSON round trip and our parsers before use.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { runAggregate } from '../../../src/custody/frost/aggregate.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { runSign } from '../../../src/custody/frost/sign.ts';
import type { FrostSuiteName } from '../../../src/custody/frost/suite.ts';
import {
  parseCommitmentList,
  parseGroupKey,
  parseKeyShare,
  parseNonces,
  parseSignatureShare,
  type WireNonceCommitment,
  type WireSignatureShare,
} from '../../../src/custody/frost/wire.ts';
import { overTheWire, readFixtureJson } from '../fixtures.ts';

interface SigningVectors {
  config: { MIN_PARTICIPANTS: string; MAX_PARTICIPANTS: string };
  inputs: {
    group_secret_key: string;
    verifying_key_key: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: { identifier: number; participant_share: string }[];
  };
  round_one_outputs: {
    outputs: {
      identifier: number;
      hiding_nonce_randomness: string;
      binding_nonce_randomness: string;
      hiding_nonce_commitment: string;
      binding_nonce_commitment: string;
    }[];
  };
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] };
  final_output: { sig: string };
}

const SUITES: { suite: FrostSuiteName; dir: string }[] = [
  { suite: 'secp256k1', dir: 'frost/frost-secp256k1/' },
  { suite: 'secp256k1-tr', dir: 'frost/frost-secp256k1-tr/' },
];

const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const pointOf = (scalarHex: string) =>
  `0x${secp256k1.Point.BASE.multiply(BigInt(`0x${scalarHex}`)).toHex(true)}`;
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** Feeds the vector's nonce randomness to commit() in the order RFC 9591 draws it. */
function fixedRng(...chunks: string[]) {
  const queue = chunks.map(bytes);
  return (n = 32) => {
    const next = queue.shift();
    if (next === undefined || next.length !== n) throw new Error('vector randomness exhausted');
    return next;
  };
}

function groupKeyFrom(suite: FrostSuiteName, v: SigningVectors) {
  const { inputs, config } = v;
  return parseGroupKey(
    overTheWire({
      suite,
      threshold: { min: Number(config.MIN_PARTICIPANTS), max: Number(config.MAX_PARTICIPANTS) },
      commitments: [
        `0x${inputs.verifying_key_key}`,
        ...inputs.share_polynomial_coefficients.map(pointOf),
      ],
      verifyingShares: Object.fromEntries(
        inputs.participant_shares.map((s) => [id(s.identifier), pointOf(s.participant_share)]),
      ),
    }),
  );
}

describe.each(SUITES)('FROST vectors, suite $suite', ({ suite, dir }) => {
  for (const file of ['vectors.json', 'vectors-big-identifier.json']) {
    it(`${file}: commit, sign and aggregate reproduce the vector`, () => {
      const v = readFixtureJson<SigningVectors>(dir + file);
      const groupKey = groupKeyFrom(suite, v);
      expect(groupKey.commitments[0]).toBe(pointOf(v.inputs.group_secret_key));
      const message = bytes(v.inputs.message);
      const signers = v.round_one_outputs.outputs.map((r1) => {
        const share = parseKeyShare(
          overTheWire({
            suite,
            identifier: id(r1.identifier),
            signingShare: `0x${shareOf(v, r1.identifier)}`,
          }),
        );
        const rng = fixedRng(r1.hiding_nonce_randomness, r1.binding_nonce_randomness);
        const { nonces, commitment } = runCommit({ share, rng });
        expect(commitment.hiding).toBe(`0x${r1.hiding_nonce_commitment}`);
        expect(commitment.binding).toBe(`0x${r1.binding_nonce_commitment}`);
        return { share, nonces: parseNonces(overTheWire(nonces)), commitment };
      });
      const commitments = parseCommitmentList(
        overTheWire(signers.map((s) => s.commitment)) as WireNonceCommitment[],
        groupKey,
      );
      const shares: WireSignatureShare[] = signers.map((s, i) => {
        const { signatureShare } = runSign({
          groupKey,
          share: s.share,
          nonces: s.nonces,
          commitments,
          message,
        });
        expect(signatureShare.share).toBe(`0x${v.round_two_outputs.outputs[i]?.sig_share}`);
        return parseSignatureShare(overTheWire(signatureShare));
      });
      const { signature } = runAggregate({ groupKey, commitments, message, shares });
      expect(signature).toBe(`0x${v.final_output.sig}`);
    });
  }
});

function shareOf(v: SigningVectors, identifier: number): string {
  const found = v.inputs.participant_shares.find((s) => s.identifier === identifier);
  if (found === undefined) throw new Error(`vector has no share for ${identifier}`);
  return found.participant_share;
}
