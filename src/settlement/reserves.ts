/**
 * Reserves: what the custody holds against what the bridge owes. The bridge's outstanding
 * liabilities are the withdrawals it has queued and no settlement has paid yet; a custody
 * balance below them means some withdrawal cannot be paid, and the settlement that would need
 * the missing funds is held with a reason (build.ts), never partly built.
 */
import type { ChainOutput } from './backend/types.ts';
import type { BridgeWithdrawal } from './withdrawals.ts';

export interface Reserves {
  custodySats: bigint;
  custodyOutputs: number;
  /** Unpaid queued withdrawals. */
  liabilitiesSats: bigint;
  pendingWithdrawals: number;
  /** custodySats − liabilitiesSats (negative: under-reserved). */
  surplusSats: bigint;
  covered: boolean;
}

export function reserves(
  custody: readonly ChainOutput[],
  unpaid: readonly BridgeWithdrawal[],
): Reserves {
  const custodySats = custody.reduce((sum, o) => sum + o.valueSats, 0n);
  const liabilitiesSats = unpaid.reduce((sum, w) => sum + BigInt(w.amountSats), 0n);
  return {
    custodySats,
    custodyOutputs: custody.length,
    liabilitiesSats,
    pendingWithdrawals: unpaid.length,
    surplusSats: custodySats - liabilitiesSats,
    covered: custodySats >= liabilitiesSats,
  };
}
