/**
 * m-of-n multi-sig custody as a Taproot output with one `multi_a` leaf under BIP341's NUMS
 * internal key: the key path has no known secret, so only m signatures through the script
 * path spend it.
 */
import { type Psbt, payments, Transaction } from 'bitcoinjs-lib';
import { witnessStackToScriptWitness } from 'bitcoinjs-lib/src/psbt/psbtutils';
import { InvalidInputError } from '../../shared/errors.ts';
import { multiALeafScript } from '../descriptors.ts';
import { ecc } from '../ecc.ts';
import { compactSizeLength } from '../size.ts';
import {
  checkDistinct,
  checkThreshold,
  compareBytes,
  equalBytes,
  parseXOnlyKey,
  toBytes,
  withoutSigners,
} from './keys.ts';
import type { CustodyType, InputSignature, Prevout } from './types.ts';

/** BIP341: "H = lift_x(0x50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)". */
export const NUMS_INTERNAL_KEY = Uint8Array.from(
  Buffer.from('50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0', 'hex'),
);
export const TAPSCRIPT_LEAF_VERSION = 0xc0;

export interface TapscriptMultiAOpts {
  threshold: number;
  /** x-only (32 bytes) or compressed (33 bytes, the x coordinate is used) keys, any order. */
  publicKeys: readonly (string | Uint8Array)[];
}

export function tapscriptMultiA(opts: TapscriptMultiAOpts): CustodyType {
  const keys = opts.publicKeys.map((k, i) => xOnly(k, `publicKeys[${i}]`));
  if (keys.length > 999) {
    // BIP387: "n must be at most 999" (MAX_PUBKEYS_PER_MULTI_A).
    throw new InvalidInputError('publicKeys: at most 999 keys', { field: 'publicKeys' });
  }
  checkDistinct(keys, 'publicKeys');
  checkThreshold(opts.threshold, keys.length);
  keys.sort(compareBytes);
  const leafScript = multiALeafScript(opts.threshold, keys);
  const redeem = { output: leafScript, redeemVersion: TAPSCRIPT_LEAF_VERSION };
  const payment = payments.p2tr({
    internalPubkey: NUMS_INTERNAL_KEY,
    scriptTree: { output: leafScript },
    redeem,
  });
  const controlBlock = payment.witness?.[payment.witness.length - 1] as Uint8Array;
  const leafHash = payment.hash as Uint8Array; // one leaf: the merkle root is its leaf hash
  const tapLeafScript = [{ leafVersion: TAPSCRIPT_LEAF_VERSION, script: leafScript, controlBlock }];
  return {
    name: 'multisig-tapscript',
    scriptPubKey: payment.output as Uint8Array,
    threshold: opts.threshold,
    signingKeys: keys,
    maxWitnessBytes: witnessBytes(opts.threshold, keys.length, leafScript, controlBlock),
    sighashType: Transaction.SIGHASH_DEFAULT,
    psbtFields: () => ({
      tapInternalKey: NUMS_INTERNAL_KEY,
      tapMerkleRoot: leafHash,
      tapLeafScript,
    }),
    sighash: (tx, index, prevouts) => scriptPathSighash(tx, index, prevouts, leafHash),
    verifySignature: (sighash, sig) =>
      sig.signature.length === 64 &&
      keys.some((k) => equalBytes(k, sig.publicKey)) &&
      ecc.verifySchnorr(sighash, sig.publicKey, sig.signature),
    addSignatures(psbt, index, sigs) {
      const fresh = withoutSigners(sigs, signaturesOf(psbt, index));
      if (fresh.length > 0) {
        psbt.updateInput(index, {
          tapScriptSig: fresh.map((s) => ({
            pubkey: s.publicKey,
            signature: s.signature,
            leafHash,
          })),
        });
      }
    },
    signaturesIn: signaturesOf,
    checkWitness(tx, index, prevouts) {
      const witness = tx.ins[index]?.witness ?? [];
      const sighash = scriptPathSighash(tx, index, prevouts, leafHash);
      return checkMultiAWitness(witness, keys, opts.threshold, leafScript, controlBlock, sighash);
    },
    finalize(psbt, index) {
      psbt.finalizeInput(index, (_i: number, input: Parameters<typeof finalScripts>[0]) =>
        finalScripts(input, keys, opts.threshold, leafScript, controlBlock),
      );
    },
  };
}

function xOnly(value: string | Uint8Array, field: string): Uint8Array {
  const bytes = toBytes(value, field);
  return parseXOnlyKey(bytes.length === 33 ? bytes.subarray(1) : bytes, field);
}

/**
 * Witness: one stack item per key (a 64-byte signature, or empty for a key that does not sign),
 * then the leaf script and the control block. Sized with `threshold` signatures present.
 */
function witnessBytes(
  threshold: number,
  keyCount: number,
  leafScript: Uint8Array,
  controlBlock: Uint8Array,
): number {
  const sigs = threshold * (1 + 64) + (keyCount - threshold) * 1;
  const script = compactSizeLength(leafScript.length) + leafScript.length;
  const control = compactSizeLength(controlBlock.length) + controlBlock.length;
  return compactSizeLength(keyCount + 2) + sigs + script + control;
}

function scriptPathSighash(
  tx: Transaction,
  index: number,
  prevouts: readonly Prevout[],
  leafHash: Uint8Array,
): Uint8Array {
  return tx.hashForWitnessV1(
    index,
    prevouts.map((p) => p.scriptPubKey),
    prevouts.map((p) => p.valueSats),
    Transaction.SIGHASH_DEFAULT,
    leafHash,
  );
}

function signaturesOf(psbt: Psbt, index: number): InputSignature[] {
  return (psbt.data.inputs[index]?.tapScriptSig ?? []).map((p) => ({
    publicKey: p.pubkey,
    signature: p.signature,
  }));
}

type PsbtInputData = Psbt['data']['inputs'][number];

/**
 * bitcoinjs-lib's tapscript finaliser pushes only the signatures it has, but `multi_a` pops one
 * item per key: an absent signer must leave an empty vector (bitcoinjs-lib issue 1961). The
 * first key is checked first, so it sits on top of the stack: the witness lists keys in reverse.
 */
function finalScripts(
  input: PsbtInputData,
  keys: readonly Uint8Array[],
  threshold: number,
  leafScript: Uint8Array,
  controlBlock: Uint8Array,
): { finalScriptWitness: Uint8Array } {
  const sigs = input.tapScriptSig ?? [];
  const chosen = keys.map((k) => sigs.find((s) => equalBytes(s.pubkey, k))?.signature);
  let present = 0;
  const items = chosen.map((sig) => {
    if (sig === undefined || present === threshold) return new Uint8Array(0);
    present += 1;
    return sig;
  });
  if (present < threshold) {
    throw new InvalidInputError(`signatures: ${present} of ${threshold} needed`);
  }
  const witness = [...items.reverse(), leafScript, controlBlock];
  return { finalScriptWitness: witnessStackToScriptWitness(witness) };
}

/** One item per key (reversed: the first key's item is on top), then the leaf and control block. */
function checkMultiAWitness(
  witness: readonly Uint8Array[],
  keys: readonly Uint8Array[],
  threshold: number,
  leafScript: Uint8Array,
  controlBlock: Uint8Array,
  sighash: Uint8Array,
): string | null {
  if (witness.length !== keys.length + 2) return `expected ${keys.length} signature slots`;
  const script = witness[keys.length] as Uint8Array;
  const control = witness[keys.length + 1] as Uint8Array;
  if (!equalBytes(script, leafScript) || !equalBytes(control, controlBlock)) {
    return 'the leaf script or control block is not the custody leaf';
  }
  const slots = witness.slice(0, keys.length).reverse();
  let valid = 0;
  for (const [i, sig] of slots.entries()) {
    if (sig.length === 0) continue;
    // A non-empty invalid signature fails the whole script (BIP342), it is not skipped.
    if (sig.length !== 64 || !ecc.verifySchnorr(sighash, keys[i] as Uint8Array, sig)) {
      return `the signature in slot ${i} does not verify`;
    }
    valid += 1;
  }
  return valid >= threshold ? null : `${valid} of ${threshold} signatures`;
}
