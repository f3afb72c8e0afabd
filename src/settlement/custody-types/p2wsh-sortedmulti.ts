/**
 * m-of-n multi-sig custody as P2WSH `sortedmulti`: the witness script is
 * `OP_m <key>... OP_n OP_CHECKMULTISIG` with the keys in BIP67 order (lexicographic on the
 * compressed encoding), so every party derives the same script from the same key set.
 */
import { script as bscript, type Psbt, payments, Transaction } from 'bitcoinjs-lib';
import { InvalidInputError } from '../../shared/errors.ts';
import { ecc } from '../ecc.ts';
import { compactSizeLength } from '../size.ts';
import {
  checkDistinct,
  checkThreshold,
  compareBytes,
  equalBytes,
  parseCompressedKey,
  withoutSigners,
} from './keys.ts';
import type { CustodyType, InputSignature, Prevout } from './types.ts';

export interface P2wshSortedMultiOpts {
  threshold: number;
  /** Compressed public keys, any order (sorted here, BIP67). */
  publicKeys: readonly (string | Uint8Array)[];
}

/**
 * Worst-case ECDSA signature: 72-byte DER (33-byte r and s with their high bits set) plus the
 * sighash byte. Standard ones are low-S (at most 71 + 1), but sizing for 73 never underpays.
 */
const MAX_ECDSA_SIG_BYTES = 73;

export function p2wshSortedMulti(opts: P2wshSortedMultiOpts): CustodyType {
  const keys = opts.publicKeys.map((k, i) => parseCompressedKey(k, `publicKeys[${i}]`));
  if (keys.length > 15) {
    // 15 keys: the largest standard P2WSH CHECKMULTISIG (MAX_STANDARD_P2WSH_STACK_ITEM_SIZE).
    throw new InvalidInputError('publicKeys: at most 15 keys', { field: 'publicKeys' });
  }
  checkDistinct(keys, 'publicKeys');
  checkThreshold(opts.threshold, keys.length);
  keys.sort(compareBytes);
  const redeem = payments.p2ms({ m: opts.threshold, pubkeys: keys });
  const witnessScript = redeem.output as Uint8Array;
  const scriptPubKey = payments.p2wsh({ redeem }).output as Uint8Array;
  return {
    name: 'multisig-p2wsh',
    scriptPubKey,
    threshold: opts.threshold,
    signingKeys: keys,
    maxWitnessBytes: witnessBytes(opts.threshold, witnessScript.length),
    sighashType: Transaction.SIGHASH_ALL,
    psbtFields: () => ({ witnessScript }),
    sighash: (tx, index, prevouts) => segwitV0Sighash(tx, index, prevouts, witnessScript),
    verifySignature: (sighash, sig) => verifyEcdsa(keys, sighash, sig),
    addSignatures(psbt, index, sigs) {
      const fresh = withoutSigners(sigs, signaturesOf(psbt, index));
      if (fresh.length > 0) {
        psbt.updateInput(index, {
          partialSig: fresh.map((s) => ({ pubkey: s.publicKey, signature: s.signature })),
        });
      }
    },
    signaturesIn: signaturesOf,
    signaturesInWitness: (witness, sighash) =>
      witnessSignatures(witness, witnessScript, keys, sighash),
    checkWitness(tx, index, prevouts) {
      const witness = tx.ins[index]?.witness ?? [];
      const sighash = segwitV0Sighash(tx, index, prevouts, witnessScript);
      return checkMultisigWitness(witness, witnessScript, keys, opts.threshold, sighash);
    },
    finalize(psbt, index) {
      keepThreshold(psbt, index, keys, opts.threshold);
      psbt.finalizeInput(index);
    },
  };
}

/**
 * BIP141 witness: item count, the empty dummy CHECKMULTISIG pops, m signatures, the script.
 * Every length prefix is one byte (items under 253 bytes) except the script's above 252.
 */
function witnessBytes(threshold: number, scriptLength: number): number {
  const items = 1 + 1 + threshold * (1 + MAX_ECDSA_SIG_BYTES);
  return items + compactSizeLength(scriptLength) + scriptLength;
}

function segwitV0Sighash(
  tx: Transaction,
  index: number,
  prevouts: readonly Prevout[],
  witnessScript: Uint8Array,
): Uint8Array {
  const prevout = prevouts[index];
  if (prevout === undefined) throw new InvalidInputError(`prevouts: input ${index} has none`);
  // BIP143: scriptCode of a P2WSH input is the witness script.
  return tx.hashForWitnessV0(index, witnessScript, prevout.valueSats, Transaction.SIGHASH_ALL);
}

function verifyEcdsa(keys: Uint8Array[], sighash: Uint8Array, sig: InputSignature): boolean {
  if (!keys.some((k) => equalBytes(k, sig.publicKey))) return false;
  let decoded: { signature: Uint8Array; hashType: number };
  try {
    decoded = bscript.signature.decode(sig.signature);
  } catch {
    return false;
  }
  // Standardness (BIP146 LOW_S): libsecp256k1 verify refuses high-S signatures as well.
  return (
    decoded.hashType === Transaction.SIGHASH_ALL &&
    ecc.verify(sighash, sig.publicKey, decoded.signature, true)
  );
}

function signaturesOf(psbt: Psbt, index: number): InputSignature[] {
  return (psbt.data.inputs[index]?.partialSig ?? []).map((p) => ({
    publicKey: p.pubkey,
    signature: p.signature,
  }));
}

/** bitcoinjs's p2ms finaliser refuses more than m signatures: keep the first m in key order. */
function keepThreshold(psbt: Psbt, index: number, keys: Uint8Array[], threshold: number): void {
  const sigs = signaturesOf(psbt, index);
  if (sigs.length <= threshold) return;
  const order = (s: InputSignature) => keys.findIndex((k) => equalBytes(k, s.publicKey));
  const kept = [...sigs].sort((a, b) => order(a) - order(b)).slice(0, threshold);
  const input = psbt.data.inputs[index];
  if (input !== undefined) {
    input.partialSig = kept.map((s) => ({ pubkey: s.publicKey, signature: s.signature }));
  }
}

/**
 * A finalised P2WSH multisig witness: the empty dummy, signatures, the witness script. Each
 * signature is matched to the custody key it verifies under (any count: a merge takes what is
 * new, the finaliser keeps `threshold`).
 */
function witnessSignatures(
  witness: readonly Uint8Array[],
  witnessScript: Uint8Array,
  keys: readonly Uint8Array[],
  sighash: Uint8Array,
): InputSignature[] | string {
  const script = witness[witness.length - 1];
  if (script === undefined || !equalBytes(script, witnessScript))
    return 'the witness script is not the custody script';
  if (witness.length < 2 || witness[0]?.length !== 0)
    return 'the witness does not start with the empty CHECKMULTISIG dummy';
  const found: InputSignature[] = [];
  for (const [i, signature] of witness.slice(1, -1).entries()) {
    const publicKey = keys.find((k) => verifyEcdsa([k], sighash, { publicKey: k, signature }));
    if (publicKey === undefined) return `witness signature ${i + 1} verifies under no custody key`;
    found.push({ publicKey, signature });
  }
  return found;
}

/**
 * CHECKMULTISIG: the dummy empty item, then exactly m signatures in key order (each matched
 * against the keys after the previous match), then the witness script.
 */
function checkMultisigWitness(
  witness: readonly Uint8Array[],
  witnessScript: Uint8Array,
  keys: readonly Uint8Array[],
  threshold: number,
  sighash: Uint8Array,
): string | null {
  const script = witness[witness.length - 1];
  if (script === undefined || !equalBytes(script, witnessScript))
    return 'the witness script is not the custody script';
  if (witness.length !== threshold + 2 || witness[0]?.length !== 0) {
    return `expected the empty dummy and ${threshold} signatures`;
  }
  let k = 0;
  for (const sig of witness.slice(1, -1)) {
    while (
      k < keys.length &&
      !verifyEcdsa([keys[k] as Uint8Array], sighash, {
        publicKey: keys[k] as Uint8Array,
        signature: sig,
      })
    )
      k++;
    if (k === keys.length)
      return 'a signature does not verify under the remaining keys in script order';
    k++;
  }
  return null;
}
