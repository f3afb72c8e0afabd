/**
 * One transaction through `runTx`, shared by the sequential reference and the parallel
 * workers, so that both classify a transaction identically: a thrown error means the
 * transaction is invalid (the batch is rejected), a revert or out-of-gas is a result.
 */
import type { Block } from '@ethereumjs/block';
import type { TypedTransaction } from '@ethereumjs/tx';
import { runTx, type VM } from '@ethereumjs/vm';
import { shortMessage } from './decode.ts';
import { toLog } from './receipts.ts';
import type { TxReceipt } from './types.ts';

export type TxOutcome =
  | { ok: true; receipt: Omit<TxReceipt, 'cumulativeGasUsed'>; minerValue: bigint }
  | { ok: false; reason: string };

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
    return { ok: false, reason: shortMessage(error) };
  }
}

/** Rule of `BlockBuilder.addTransaction`: a transaction must fit in the gas still left. */
export function cumulativeGasReason(txGasLimit: bigint, gasLeft: bigint): string | undefined {
  if (txGasLimit <= gasLeft) return undefined;
  return `gas limit ${txGasLimit} exceeds the ${gasLeft} gas left in the batch`;
}
