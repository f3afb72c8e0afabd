/**
 * An institution co-signs with its own wallet: it gets our PSBT (base64), signs with its own
 * software (bitcoinjs-lib's signer here; litecoind's wallet in the regtest test), uploads it.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import type { Psbt } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { type BuiltSettlement, buildSettlement } from '../../src/settlement/build.ts';
import { finalizeSettlement } from '../../src/settlement/finalize.ts';
import { exportPsbt, importSignatures, parsePsbt } from '../../src/settlement/psbt.ts';
import {
  chainOutput,
  head,
  network,
  p2wshCustody,
  policyFor,
  queue,
  secretKey,
  type TestCustody,
  tapscriptCustody,
} from './support.ts';

function settle(t: TestCustody, seed = 1): BuiltSettlement {
  const current = chainOutput(t.custody, seed, 2_000_000n);
  const r = buildSettlement(
    { current, topUps: [chainOutput(t.custody, seed + 1, 50_000n)] },
    queue(3),
    head,
    5,
    policyFor(t.custody),
  );
  if (r.status !== 'built') throw new Error(r.reason);
  return r;
}

/** What an institution's wallet does with the PSBT: bitcoinjs-lib's own signing, not ours. */
function walletSigns(psbt: Psbt, sk: Uint8Array, taproot: boolean): void {
  const publicKey = secp256k1.getPublicKey(sk, true);
  for (let i = 0; i < psbt.inputCount; i++) {
    if (taproot) {
      psbt.signTaprootInput(i, {
        publicKey,
        sign: () => {
          throw new Error('ECDSA not expected');
        },
        signSchnorr: (hash: Uint8Array) => schnorr.sign(hash, sk),
      });
    } else {
      psbt.signInput(i, {
        publicKey,
        sign: (hash: Uint8Array) => secp256k1.sign(hash, sk, { prehash: false }),
      });
    }
  }
}

for (const [name, make, taproot] of [
  ['P2WSH sortedmulti', () => p2wshCustody(2, 3), false],
  ['tapscript multi_a', () => tapscriptCustody(2, 3), true],
] as const) {
  describe(`PSBT export and import: ${name}`, () => {
    it('an institution signs the exported PSBT in its own wallet; its upload completes the settlement', () => {
      const t = make();
      const s = settle(t);
      for (let i = 0; i < s.inputs.length; i++) t.sign(s, i, 0);
      const download = parsePsbt(exportPsbt(s.psbt), network);
      walletSigns(download, t.secrets[2] as Uint8Array, taproot);
      const result = importSignatures(s, parsePsbt(exportPsbt(download), network), t.custody);
      expect(result.added).toHaveLength(s.inputs.length);
      expect(result.signatureCounts).toEqual([2, 2]);
      const final = finalizeSettlement(s, t.custody);
      expect(final.txid).toBe(s.txid);
    });

    it('an upload of the same signature again adds nothing', () => {
      const t = make();
      const s = settle(t);
      const download = parsePsbt(exportPsbt(s.psbt), network);
      walletSigns(download, t.secrets[1] as Uint8Array, taproot);
      importSignatures(s, download, t.custody);
      expect(importSignatures(s, download, t.custody).added).toEqual([]);
    });

    it('a PSBT for another transaction (a changed payout) is refused, naming the difference', () => {
      const t = make();
      const s = settle(t);
      const other = settle(t, 5);
      walletSigns(other.psbt, t.secrets[1] as Uint8Array, taproot);
      expect(() => importSignatures(s, other.psbt, t.custody)).toThrow(
        /psbt: not this settlement: input 0 spends/,
      );
      expect(t.custody.signaturesIn(s.psbt, 0)).toEqual([]);
    });

    it('a signature by a key outside the custody set is refused and nothing is merged', () => {
      const t = make();
      const s = settle(t);
      const download = parsePsbt(exportPsbt(s.psbt), network);
      // bitcoinjs refuses to sign for a key not in the script, so the forger edits the PSBT.
      walletSigns(download, t.secrets[0] as Uint8Array, taproot);
      const outsider = secp256k1.getPublicKey(secretKey(99), true);
      for (const input of download.data.inputs) {
        for (const p of input.partialSig ?? []) p.pubkey = outsider;
        for (const p of input.tapScriptSig ?? []) p.pubkey = outsider.subarray(1);
      }
      expect(() => importSignatures(s, download, t.custody)).toThrow(/not a custody key/);
      expect(t.custody.signaturesIn(s.psbt, 0)).toEqual([]);
    });

    it('a forged signature (valid key, bytes changed) is refused and nothing is merged', () => {
      const t = make();
      const s = settle(t);
      const download = parsePsbt(exportPsbt(s.psbt), network);
      walletSigns(download, t.secrets[0] as Uint8Array, taproot);
      const last = download.data.inputs[1];
      const sig = (last?.partialSig?.[0] ?? last?.tapScriptSig?.[0])?.signature as Uint8Array;
      sig[10] = (sig[10] as number) ^ 1;
      expect(() => importSignatures(s, download, t.custody)).toThrow(
        /input 1: the signature by .* does not verify/,
      );
      expect(t.custody.signaturesIn(s.psbt, 0)).toEqual([]);
    });
  });
}

describe('PSBT import: an upload the co-signer finalised', () => {
  // Bitcoin Core's walletprocesspsbt finalises every input it completes (partialSig and
  // witnessScript replaced by finalScriptWitness): the signatures are read from the witness.
  it('P2WSH: the co-signer signature is recovered from the final witness, matched to its key and merged', () => {
    const t = p2wshCustody(2, 3);
    const s = settle(t);
    for (let i = 0; i < s.inputs.length; i++) t.sign(s, i, 0);
    const download = parsePsbt(exportPsbt(s.psbt), network);
    walletSigns(download, t.secrets[2] as Uint8Array, false);
    download.finalizeAllInputs();
    const upload = parsePsbt(exportPsbt(download), network);
    expect(upload.data.inputs[0]?.partialSig).toBeUndefined();
    const result = importSignatures(s, upload, t.custody);
    const key2 = Buffer.from(secp256k1.getPublicKey(t.secrets[2] as Uint8Array, true)).toString(
      'hex',
    );
    expect(result.added).toEqual([
      { input: 0, publicKey: key2 },
      { input: 1, publicKey: key2 },
    ]);
    expect(finalizeSettlement(s, t.custody).txid).toBe(s.txid);
  });

  it('P2WSH: a final witness whose signature verifies under no custody key is refused and nothing is merged', () => {
    const t = p2wshCustody(2, 3);
    const s = settle(t);
    const download = parsePsbt(exportPsbt(s.psbt), network);
    walletSigns(download, t.secrets[0] as Uint8Array, false);
    walletSigns(download, t.secrets[1] as Uint8Array, false);
    const sig = download.data.inputs[1]?.partialSig?.[0]?.signature as Uint8Array;
    download.finalizeAllInputs();
    const witness = download.data.inputs[1]?.finalScriptWitness as Uint8Array;
    const at = Buffer.from(witness).indexOf(Buffer.from(sig));
    witness[at + 10] = (witness[at + 10] as number) ^ 1;
    expect(() => importSignatures(s, download, t.custody)).toThrow(
      /psbt: input 1 is finalised, but witness signature \d verifies under no custody key/,
    );
    expect(t.custody.signaturesIn(s.psbt, 0)).toEqual([]);
  });

  it('tapscript: a finalised upload is refused by name (signatures must come unfinalised)', () => {
    const t = tapscriptCustody(2, 3);
    const s = settle(t);
    const download = parsePsbt(exportPsbt(s.psbt), network);
    const input = download.data.inputs[0];
    if (input !== undefined) input.finalScriptWitness = Uint8Array.from([0]);
    expect(() => importSignatures(s, download, t.custody)).toThrow(
      'psbt: input 0 is finalised; a multisig-tapscript upload must carry its signatures unfinalised',
    );
  });
});

describe('parsePsbt', () => {
  it('refuses text that is not a PSBT with the field name', () => {
    expect(() => parsePsbt('not a psbt', network)).toThrow(/^psbt: not a valid PSBT/);
    expect(() => parsePsbt('70736274ff00', network)).toThrow(/^psbt: not a valid PSBT/);
  });
});
