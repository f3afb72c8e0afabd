/**
 * PSBT export and import (BIP174, with BIP371 Taproot fields) so an institution co-signs a
 * multi-sig settlement with its own HSM or wallet: it downloads the PSBT, adds its partial
 * signature, uploads it. An upload is merged only when its unsigned transaction is exactly
 * ours and every signature it adds verifies against the sighash we computed.
 */
import { Psbt } from 'bitcoinjs-lib';
// bitcoinjs-lib reads witness stacks with this (its own scriptWitnessToWitnessStack is private).
import { BufferReader } from 'bitcoinjs-lib/src/bufferutils';
import { InvalidInputError } from '../shared/errors.ts';
import type { BuiltSettlement } from './build.ts';
import { unsignedTransaction } from './build.ts';
import { firstDifference } from './compare.ts';
import { equalBytes, hex } from './custody-types/keys.ts';
import type { CustodyType, InputSignature } from './custody-types/types.ts';
import type { SettlementNetwork } from './networks.ts';

/** Base64, the form Bitcoin Core's RPCs and most wallets take. */
export function exportPsbt(psbt: Psbt): string {
  return psbt.toBase64();
}

export function parsePsbt(text: string, network: SettlementNetwork): Psbt {
  const trimmed = text.trim();
  try {
    return /^[0-9a-fA-F]+$/.test(trimmed)
      ? Psbt.fromHex(trimmed, { network: network.bitcoinjs })
      : Psbt.fromBase64(trimmed, { network: network.bitcoinjs });
  } catch (error) {
    throw new InvalidInputError(`psbt: not a valid PSBT (${(error as Error).message})`, {
      field: 'psbt',
    });
  }
}

export interface ImportedSignature {
  input: number;
  publicKey: string;
}

export interface ImportResult {
  /** Signatures the upload added (ones already present are not counted again). */
  added: ImportedSignature[];
  /** Per input, how many valid signatures the settlement now holds. */
  signatureCounts: number[];
}

/**
 * Merge the signatures of `uploaded` into `settlement.psbt`. Refused whole (nothing merged)
 * when the transaction differs, a key is not a custody key, or a signature does not verify.
 */
export function importSignatures(
  settlement: BuiltSettlement,
  uploaded: Psbt,
  custody: CustodyType,
): ImportResult {
  const difference = firstDifference(unsignedTransaction(uploaded), settlement.unsignedTx);
  if (difference !== null) {
    throw new InvalidInputError(`psbt: not this settlement: ${difference}`, { field: 'psbt' });
  }
  const perInput = settlement.inputs.map((_, i) => newSignatures(settlement, uploaded, custody, i));
  const added: ImportedSignature[] = [];
  perInput.forEach((sigs, i) => {
    custody.addSignatures(settlement.psbt, i, sigs);
    for (const s of sigs) added.push({ input: i, publicKey: hex(s.publicKey) });
  });
  return {
    added,
    signatureCounts: settlement.inputs.map(
      (_, i) => custody.signaturesIn(settlement.psbt, i).length,
    ),
  };
}

function newSignatures(
  settlement: BuiltSettlement,
  uploaded: Psbt,
  custody: CustodyType,
  index: number,
): InputSignature[] {
  const sighash = custody.sighash(settlement.unsignedTx, index, settlement.prevouts);
  const have = custody.signaturesIn(settlement.psbt, index);
  const fresh = uploadedSignatures(uploaded, custody, index, sighash).filter(
    (s) => !have.some((h) => equalBytes(h.publicKey, s.publicKey)),
  );
  for (const sig of fresh) {
    if (!custody.signingKeys.some((k) => equalBytes(k, sig.publicKey))) {
      throw new InvalidInputError(
        `psbt: input ${index} is signed by ${hex(sig.publicKey)}, not a custody key`,
        {
          field: 'psbt',
        },
      );
    }
    if (!custody.verifySignature(sighash, sig)) {
      throw new InvalidInputError(
        `psbt: input ${index}: the signature by ${hex(sig.publicKey)} does not verify (wrong sighash, sighash type or key)`,
        { field: 'psbt' },
      );
    }
  }
  return fresh;
}

/**
 * The upload's signatures for one input: its partialSig entries, or, when the co-signer's
 * wallet finalised the input (it held the last signature needed), those in its witness.
 */
function uploadedSignatures(
  uploaded: Psbt,
  custody: CustodyType,
  index: number,
  sighash: Uint8Array,
): InputSignature[] {
  const partial = custody.signaturesIn(uploaded, index);
  const final = uploaded.data.inputs[index]?.finalScriptWitness;
  if (final === undefined) return partial;
  if (custody.signaturesInWitness === undefined) {
    throw new InvalidInputError(
      `psbt: input ${index} is finalised; a ${custody.name} upload must carry its signatures unfinalised`,
      { field: 'psbt' },
    );
  }
  const fromWitness = custody.signaturesInWitness(decodeWitness(final, index), sighash);
  if (typeof fromWitness === 'string') {
    throw new InvalidInputError(`psbt: input ${index} is finalised, but ${fromWitness}`, {
      field: 'psbt',
    });
  }
  return [
    ...partial,
    ...fromWitness.filter((w) => !partial.some((p) => equalBytes(p.publicKey, w.publicKey))),
  ];
}

/** BIP144 witness serialisation: an item count, then each item with its length. */
function decodeWitness(bytes: Uint8Array, index: number): Uint8Array[] {
  try {
    const reader = new BufferReader(bytes);
    const stack = reader.readVector();
    if (reader.offset === bytes.length) return stack;
  } catch {
    // reported below
  }
  throw new InvalidInputError(`psbt: input ${index}: finalScriptWitness is not a witness stack`, {
    field: 'psbt',
  });
}
