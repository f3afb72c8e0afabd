/**
 * What `POST /v1/batches` checks before anything is stored: the body's shape, each
 * transaction's hex, its decoding as a Cancun envelope for this chain, its signature (the
 * sender is recovered), EIP-155 replay protection, and the size limits. A batch that passes is
 * stored `received` with no number; the cron gives it its number and environment when it
 * executes (batch-env.ts), so a rejected batch uses no number.
 *
 * Checks that need state (nonces, balances) are the executor's: a batch it refuses becomes
 * `rejected` with the executor's reason.
 */
import type { LegacyTx } from '@ethereumjs/tx';
import { makeCommon } from '../../execution/crypto.ts';
import { decodeTx } from '../../execution/decode.ts';
import { BatchRejectedError } from '../../execution/errors.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { bytesToHex, parseHexBytes } from '../../shared/hex.ts';

/** geth's txMaxSize: four 32 KiB slots. */
export const MAX_TX_BYTES = 128 * 1024;
/** Transactions one REST batch may carry. */
export const MAX_SUBMITTED_TXS = 10_000;
/** Room for MAX_SUBMITTED_TXS ordinary transactions as hex; bigger bodies are a 413. */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;

export interface IntakeOpts {
  chainId: bigint;
  /** The batch gas limit (each transaction's gas limit must fit it). */
  gasLimit: bigint;
}

export interface CheckedBatch {
  /** The transactions as lower-case 0x-hex, in order. */
  txs: string[];
  senders: string[];
}

export function checkSubmittedTxs(txs: readonly string[], opts: IntakeOpts): CheckedBatch {
  if (txs.length === 0) {
    throw new InvalidInputError('txs: a batch needs at least one transaction', { field: 'txs' });
  }
  if (txs.length > MAX_SUBMITTED_TXS) {
    throw new InvalidInputError(
      `txs: ${txs.length} transactions; a batch may carry at most ${MAX_SUBMITTED_TXS}`,
      { field: 'txs' },
    );
  }
  const common = makeCommon(opts.chainId, 'fast');
  const out: CheckedBatch = { txs: [], senders: [] };
  for (const [i, hex] of txs.entries()) {
    const field = `txs.${i}`;
    const raw = parseHexBytes(hex, field);
    if (raw.length === 0) throw new InvalidInputError(`${field}: empty transaction`, { field });
    if (raw.length > MAX_TX_BYTES) {
      throw new InvalidInputError(`${field}: ${raw.length} bytes; at most ${MAX_TX_BYTES}`, {
        field,
      });
    }
    out.senders.push(senderOf(raw, i, common, opts.gasLimit));
    out.txs.push(bytesToHex(raw));
  }
  return out;
}

function senderOf(
  raw: Uint8Array,
  index: number,
  common: ReturnType<typeof makeCommon>,
  gasLimit: bigint,
): string {
  const field = `txs.${index}`;
  let tx: ReturnType<typeof decodeTx>;
  try {
    tx = decodeTx(raw, index, common, gasLimit);
  } catch (error) {
    if (error instanceof BatchRejectedError) {
      throw new InvalidInputError(`${field}: ${error.reason}`, { field });
    }
    throw error;
  }
  // A legacy signature with v = 27/28 is valid on every chain: refused by policy here.
  if (tx.type === 0) {
    const v = (tx as LegacyTx).v;
    if (v === 27n || v === 28n) {
      throw new InvalidInputError(
        `${field}: a legacy transaction without EIP-155 replay protection is refused`,
        { field },
      );
    }
  }
  try {
    return tx.getSenderAddress().toString();
  } catch {
    throw new InvalidInputError(`${field}: the signature does not recover a sender`, { field });
  }
}
