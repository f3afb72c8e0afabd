import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { buildP2wshSortedMulti, buildTapscriptMultiA } from '../../src/custody/multisig/keys.ts';
import { buildSettlement } from '../../src/settlement/build.ts';
import { finalizeSettlement } from '../../src/settlement/finalize.ts';
import {
  chainOutput,
  frostCustody,
  head,
  p2wshCustody,
  policyFor,
  queue,
  secretKey,
  type TestCustody,
  tapscriptCustody,
  toHex,
} from './support.ts';

const TYPES: [string, () => TestCustody][] = [
  ['frost-p2tr', () => frostCustody()],
  ['multisig-p2wsh 2-of-3', () => p2wshCustody(2, 3)],
  ['multisig-tapscript 2-of-3', () => tapscriptCustody(2, 3)],
  ['multisig-tapscript 3-of-5', () => tapscriptCustody(3, 5)],
  ['multisig-p2wsh 1-of-1', () => p2wshCustody(1, 1)],
];

function signedSettlement(t: TestCustody, inputs: number, signers: number[]) {
  const outputs = Array.from({ length: inputs }, (_, i) =>
    chainOutput(t.custody, i + 1, 1_000_000n + BigInt(i)),
  );
  const [current, ...topUps] = outputs;
  if (current === undefined) throw new Error('no input');
  const built = buildSettlement({ current, topUps }, queue(5), head, 12.5, policyFor(t.custody));
  if (built.status !== 'built') throw new Error(built.reason);
  for (let i = 0; i < inputs; i++) for (const who of signers) t.sign(built, i, who);
  return built;
}

describe('custody types', () => {
  it("the P2WSH sortedmulti and tapscript multi_a outputs equal the custody module's own scripts", () => {
    const keys = [10, 11, 12].map((s) => toHex(secp256k1.getPublicKey(secretKey(s), true)));
    const ours = p2wshCustody(2, 3).custody;
    expect(toHex(ours.scriptPubKey)).toBe(
      buildP2wshSortedMulti(
        2,
        keys.map((k) => `0x${k}`),
      ).scriptPubKey.slice(2),
    );
    const tap = tapscriptCustody(2, 3).custody;
    const tapKeys = [20, 21, 22].map(
      (s) => `0x${toHex(secp256k1.getPublicKey(secretKey(s), true))}`,
    );
    expect(toHex(tap.scriptPubKey)).toBe(buildTapscriptMultiA(2, tapKeys).scriptPubKey.slice(2));
  });

  for (const [name, make] of TYPES) {
    it(`${name}: the worst-case weight bounds the signed transaction and the witness verifies`, () => {
      const t = make();
      const signers = Array.from({ length: t.custody.threshold }, (_, i) => i);
      const built = signedSettlement(t, 3, signers);
      const final = finalizeSettlement(built, t.custody);
      expect(final.txid).toBe(built.txid);
      expect(final.weight).toBeLessThanOrEqual(built.weight);
      // Schnorr witnesses have a fixed size: the estimate is exact. ECDSA DER signatures vary
      // (71-73 bytes): at most 2 bytes per signature under the worst case.
      const slack = t.custody.name === 'multisig-p2wsh' ? 3 * t.custody.threshold * 2 : 0;
      expect(built.weight - final.weight).toBeLessThanOrEqual(slack);
      for (let i = 0; i < 3; i++)
        expect(t.custody.checkWitness(final.tx, i, built.prevouts)).toBeNull();
    });
  }

  it('multi_a with an absent signer: the finaliser leaves an empty slot for it (bitcoinjs-lib issue 1961)', () => {
    const t = tapscriptCustody(2, 3);
    const built = signedSettlement(t, 1, [0, 2]);
    const final = finalizeSettlement(built, t.custody);
    const witness = final.tx.ins[0]?.witness ?? [];
    expect(witness).toHaveLength(3 + 2);
    expect(
      witness
        .slice(0, 3)
        .map((w) => w.length)
        .sort(),
    ).toEqual([0, 64, 64]);
    expect(t.custody.checkWitness(final.tx, 0, built.prevouts)).toBeNull();
  });

  it('a settlement with fewer signatures than the threshold is not finalised', () => {
    const t = p2wshCustody(2, 3);
    const built = signedSettlement(t, 1, [1]);
    expect(() => finalizeSettlement(built, t.custody)).toThrow(/input 0: 1 of 2 signatures/);
  });

  it('a signature over another transaction is caught before finalising (it names the input and key)', () => {
    const t = tapscriptCustody(2, 3);
    const a = signedSettlement(t, 1, [0, 1]);
    const other = buildSettlement(
      { current: chainOutput(t.custody, 9, 2_000_000n), topUps: [] },
      queue(5),
      head,
      12.5,
      policyFor(t.custody),
    );
    if (other.status !== 'built') throw new Error('held');
    const foreign = t.custody.signaturesIn(a.psbt, 0);
    t.custody.addSignatures(other.psbt, 0, foreign);
    expect(() => finalizeSettlement(other, t.custody)).toThrow(
      /input 0: signatures by .* do not verify/,
    );
  });

  it('a witness with a swapped signature slot fails the witness check', () => {
    const t = tapscriptCustody(2, 3);
    const built = signedSettlement(t, 1, [0, 1]);
    const final = finalizeSettlement(built, t.custody);
    const input = final.tx.ins[0];
    if (input === undefined) throw new Error('no input');
    const [s0, s1, s2, ...rest] = input.witness;
    input.witness = [s1, s0, s2, ...rest].map((w) => w as Uint8Array);
    expect(t.custody.checkWitness(final.tx, 0, built.prevouts)).toMatch(/does not verify/);
  });

  it('keys are checked at the boundary with the field name', () => {
    expect(() => p2wshCustody(4, 3)).toThrow(/threshold: expected an integer from 1 to 3/);
    expect(() => frostCustody().custody && tapscriptCustody(0, 3)).toThrow(/threshold/);
  });
});
