/**
 * BIP341's wallet test vectors (../shared/fixtures/bips): the tweak, output key, address and
 * sighash computations the settlement relies on, through the same bitcoinjs-lib calls the
 * custody types make, plus our own key-path type and src/custody/taproot.ts tweak.
 */
import { readFileSync } from 'node:fs';
import { schnorr } from '@noble/curves/secp256k1.js';
import { networks, payments, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { tapTweakPublicKey, tapTweakSecretKey } from '../../src/custody/taproot.ts';
import '../../src/settlement/ecc.ts';
import { p2trKeyPath } from '../../src/settlement/custody-types/index.ts';
import { fromHex, toHex } from './support.ts';

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../shared/fixtures/bips/bip341-wallet-test-vectors.json', import.meta.url),
    'utf8',
  ),
);

interface ScriptPubKeyVector {
  given: { internalPubkey: string; scriptTree: Tree | null };
  intermediary: { merkleRoot: string | null; tweakedPubkey: string };
  expected: { scriptPubKey: string; bip350Address: string };
}
interface InputVector {
  given: {
    txinIndex: number;
    hashType: number;
    internalPrivkey: string;
    merkleRoot: string | null;
  };
  intermediary: { sigHash: string; tweakedPrivkey: string };
  expected: { witness: string[] };
}

interface Leaf {
  script: string;
  leafVersion: number;
}
type Tree = Leaf | Tree[];

function toTaptree(tree: Tree): unknown {
  if (Array.isArray(tree)) return tree.map(toTaptree);
  return { output: fromHex(tree.script), version: tree.leafVersion };
}

describe('BIP341 wallet vectors', () => {
  for (const [i, v] of (vectors.scriptPubKey as ScriptPubKeyVector[]).entries()) {
    it(`scriptPubKey vector ${i}: output key, script and address`, () => {
      const internalPubkey = fromHex(v.given.internalPubkey);
      const scriptTree = v.given.scriptTree === null ? undefined : toTaptree(v.given.scriptTree);
      const p = payments.p2tr({
        internalPubkey,
        scriptTree: scriptTree as never,
        network: networks.bitcoin,
      });
      expect(toHex(p.output as Uint8Array)).toBe(v.expected.scriptPubKey);
      expect(p.address).toBe(v.expected.bip350Address);
      const merkleRoot =
        v.intermediary.merkleRoot === null ? undefined : fromHex(v.intermediary.merkleRoot);
      expect(toHex(tapTweakPublicKey(internalPubkey, merkleRoot).outputKey)).toBe(
        v.intermediary.tweakedPubkey,
      );
    });
  }

  const spending = vectors.keyPathSpending[0];
  const tx = Transaction.fromHex(spending.given.rawUnsignedTx);
  const utxos = spending.given.utxosSpent as { scriptPubKey: string; amountSats: number }[];
  const scripts = utxos.map((u) => fromHex(u.scriptPubKey));
  const values = utxos.map((u) => BigInt(u.amountSats));

  for (const input of spending.inputSpending as InputVector[]) {
    const { txinIndex, hashType, internalPrivkey, merkleRoot } = input.given;
    it(`key path input ${txinIndex} (hash type ${hashType}): sighash, tweaked key and signature`, () => {
      const sighash = tx.hashForWitnessV1(txinIndex, scripts, values, hashType);
      expect(toHex(sighash)).toBe(input.intermediary.sigHash);
      const tweaked = tapTweakSecretKey(
        fromHex(internalPrivkey),
        merkleRoot === null ? undefined : fromHex(merkleRoot),
      );
      expect(toHex(tweaked)).toBe(input.intermediary.tweakedPrivkey);
      // BIP340 signatures are randomised only through aux_rand; the vectors use all zeros.
      const sig = schnorr.sign(sighash, tweaked, new Uint8Array(32));
      const expected =
        hashType === 0 ? toHex(sig) : toHex(sig) + hashType.toString(16).padStart(2, '0');
      expect(expected).toBe(input.expected.witness[0]);
    });
    if (hashType === 0) {
      it(`key path input ${txinIndex}: our frost-p2tr type derives the same SIGHASH_DEFAULT digest`, () => {
        const root = merkleRoot === null ? undefined : fromHex(merkleRoot);
        const outputKey = schnorr.getPublicKey(tapTweakSecretKey(fromHex(internalPrivkey), root));
        const custody = p2trKeyPath({ outputKey });
        expect(toHex(custody.scriptPubKey)).toBe(utxos[txinIndex]?.scriptPubKey);
        const prevouts = scripts.map((s, j) => ({
          scriptPubKey: s,
          valueSats: values[j] as bigint,
        }));
        expect(toHex(custody.sighash(tx, txinIndex, prevouts))).toBe(input.intermediary.sigHash);
      });
    }
  }
});
