/**
 * Transaction decoding for a batch: which envelopes a Cancun rollup batch accepts, and the
 * checks that need no state. Signature recovery is deferred to execution (the workers in
 * parallel mode) because it is the expensive part.
 */
import type { Common } from '@ethereumjs/common';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import { BatchRejectedError } from './errors.ts';

/** EIP-2718 type bytes this executor runs; legacy RLP starts with a list prefix (>= 0xc0). */
const ACCEPTED_TYPES = new Set([0x01, 0x02]);

export function txTypeOf(raw: Uint8Array): number {
  const first = raw[0] ?? 0;
  return first >= 0xc0 ? 0 : first;
}

/** Why a typed envelope is refused before decoding; undefined when the type is accepted. */
export function unsupportedTypeReason(raw: Uint8Array): string | undefined {
  const type = txTypeOf(raw);
  if (type === 0 || ACCEPTED_TYPES.has(type)) return undefined;
  if (type === 0x03) {
    return 'blob transactions (EIP-4844, type 3) are not supported: a rollup batch carries no blobs';
  }
  if (type === 0x04) return 'set-code transactions (EIP-7702, type 4) are not active in cancun';
  if (type > 0x7f) return `not a transaction envelope (first byte 0x${type.toString(16)})`;
  return `unknown transaction type 0x${type.toString(16).padStart(2, '0')}`;
}

/**
 * Decode one signed transaction for the batch's chain, or throw `BatchRejectedError` naming
 * `index`. The ethereumjs constructors check the chain id (typed field or EIP-155 `v`), the
 * EIP-2 low-s rule and field sizes.
 */
export function decodeTx(
  raw: Uint8Array,
  index: number,
  common: Common,
  gasLimit: bigint,
): TypedTransaction {
  const typeReason = unsupportedTypeReason(raw);
  if (typeReason !== undefined) throw new BatchRejectedError(index, typeReason);
  let tx: TypedTransaction;
  try {
    tx = createTxFromRLP(raw, { common }) as TypedTransaction;
  } catch (error) {
    throw new BatchRejectedError(index, `undecodable transaction: ${shortMessage(error)}`);
  }
  if (!tx.isSigned()) throw new BatchRejectedError(index, 'transaction is not signed');
  if (tx.gasLimit > gasLimit) {
    throw new BatchRejectedError(
      index,
      `gas limit ${tx.gasLimit} is above the batch gas limit ${gasLimit}`,
    );
  }
  return tx;
}

/** ethereumjs appends a dump of the whole object to its messages; keep the first sentence. */
export function shortMessage(error: unknown): string {
  const msg = error instanceof Error ? error.message : String(error);
  let cut = msg.length;
  for (const marker of [' (vm hf=', ' (tx type=', ' (block number=']) {
    const at = msg.indexOf(marker);
    if (at >= 0 && at < cut) cut = at;
  }
  return msg.slice(0, cut).trim();
}
