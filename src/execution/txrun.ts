/**
 * One transaction through `runTx`, shared by the sequential reference and the parallel
 * workers, so that both classify a transaction identically: a thrown error means the
 * transaction is invalid (the batch is rejected), a revert or out-of-gas is a result. An error
 * that comes from the node itself (isNodeFault) is neither: it is thrown on, so a corrupt
 * state or a bug is never reported as a bad transaction.
 */
import type { Block } from '@ethereumjs/block';
import type { TypedTransaction } from '@ethereumjs/tx';
import { runTx, type VM } from '@ethereumjs/vm';
import { shortMessage } from './decode.ts';
import { CREDIT_OVERFLOW, CreditOverflow, ExecutionFault, ExecutionFaultError } from './errors.ts';
import { toLog } from './receipts.ts';
import type { TxReceipt } from './types.ts';

export type TxOutcome =
  | { ok: true; receipt: Omit<TxReceipt, 'cumulativeGasUsed'>; minerValue: bigint }
  /** `fault`: the node failed, not the transaction (only a parallel worker reports this as a
   *  value, since a speculative incarnation may see an inconsistent state; see worker.ts) */
  | { ok: false; reason: string; fault?: true };

export async function executeTx(vm: VM, tx: TypedTransaction, block: Block): Promise<TxOutcome> {
  try {
    const res = await runTx(vm, {
      tx,
      block,
      skipHardForkValidation: true,
      // The batch's cumulative limit is checked by the executors (they know gas used so far).
      skipBlockGasLimitValidation: true,
    });
    const logs = (res.execResult.logs ?? []).map(toLog);
    return {
      ok: true,
      receipt: {
        txType: tx.type,
        status: res.execResult.exceptionError === undefined ? 1 : 0,
        gasUsed: res.totalGasSpent,
        logs,
      },
      minerValue: res.minerValue,
    };
  } catch (error) {
    if (isNodeFault(error)) throw error;
    return { ok: false, reason: shortMessage(error) };
  }
}

/**
 * ethereumjs reports an invalid transaction with a plain Error (EthereumJSError). What is not
 * the transaction's doing: our own faults, JavaScript's errors for broken code (TypeError,
 * RangeError, ReferenceError), and the trie's "Missing node in DB" (a corrupt state).
 */
export function isNodeFault(error: unknown): boolean {
  if (error instanceof ExecutionFault) return true;
  if (error instanceof TypeError || error instanceof RangeError) return true;
  if (error instanceof ReferenceError) return true;
  return error instanceof Error && error.message === 'Missing node in DB';
}

/** Rule of `BlockBuilder.addTransaction`: a transaction must fit in the gas still left. */
export function cumulativeGasReason(txGasLimit: bigint, gasLeft: bigint): string | undefined {
  if (txGasLimit <= gasLeft) return undefined;
  return `gas limit ${txGasLimit} exceeds the ${gasLeft} gas left in the batch`;
}

/** A worker's node fault on transaction `tx` fails the whole run (it says nothing of the batch). */
export function throwIfFault(tx: number, outcome: TxOutcome | undefined): void {
  if (outcome?.ok === false && outcome.fault === true) {
    if (outcome.reason === CREDIT_OVERFLOW) throw new CreditOverflow(tx);
    throw new ExecutionFaultError(`transaction ${tx}: ${outcome.reason}`);
  }
}
