/**
 * Transaction weight before signing, for the largest witness each input can carry, so the fee
 * is never too low for the signed transaction (BIP141: weight = 4 × base size + witness size;
 * virtual size = ceil(weight / 4)).
 */
import { varuint } from 'bitcoinjs-lib/src/bufferutils';

/** Bytes of a CompactSize length prefix (bitcoinjs-lib's varuint). */
export const compactSizeLength = (n: number): number => varuint.encodingLength(n);

/** Outpoint (36) + empty scriptSig length (1) + sequence (4): every input is a segwit spend. */
const INPUT_BASE_BYTES = 36 + 1 + 4;
/** Version (4) + locktime (4). */
const TX_FIXED_BYTES = 4 + 4;
/** Segwit marker and flag, counted in the witness (1 WU each). */
const SEGWIT_MARKER_BYTES = 2;

/** Bitcoin Core policy.h: MAX_STANDARD_TX_WEIGHT = 400000. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;

export function outputBytes(scriptLength: number): number {
  return 8 + compactSizeLength(scriptLength) + scriptLength;
}

export interface TxShape {
  inputCount: number;
  /** Witness bytes of each input (its custody type's maximum). */
  witnessBytesPerInput: number;
  outputCount: number;
  /** Sum of outputBytes() over the outputs. */
  outputsBytes: number;
}

export function worstCaseWeight(shape: TxShape): number {
  const base =
    TX_FIXED_BYTES +
    compactSizeLength(shape.inputCount) +
    shape.inputCount * INPUT_BASE_BYTES +
    compactSizeLength(shape.outputCount) +
    shape.outputsBytes;
  const witness = SEGWIT_MARKER_BYTES + shape.inputCount * shape.witnessBytesPerInput;
  return base * 4 + witness;
}

/** Weight of one input: its non-witness part (4 WU a byte) plus its witness (1 WU a byte). */
export function inputWeight(witnessBytes: number): number {
  return INPUT_BASE_BYTES * 4 + witnessBytes;
}

export function vsizeOf(weight: number): number {
  return Math.ceil(weight / 4);
}
