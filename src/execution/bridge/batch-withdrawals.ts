/** What a BatchResult reports about withdrawals: the ordered list and its Merkle root. */
import { withdrawalsRoot } from './merkle.ts';
import { extractWithdrawals, type ReceiptLike, type Withdrawal } from './withdrawals.ts';

export interface BatchWithdrawals {
  withdrawals: Withdrawal[];
  /** 0x-hex, see merkle.ts for the exact definition. */
  withdrawalsRoot: string;
}

/** From a batch's receipts in transaction order (all of them, failed ones included). */
export function batchWithdrawals(receipts: readonly ReceiptLike[]): BatchWithdrawals {
  const withdrawals = extractWithdrawals(receipts);
  return { withdrawals, withdrawalsRoot: withdrawalsRoot(withdrawals) };
}
