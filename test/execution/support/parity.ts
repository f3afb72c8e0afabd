/** What the parity invariant compares, in a form `toEqual` can diff readably. */
import { BatchRejectedError } from '../../../src/execution/errors.ts';
import type { BatchResult } from '../../../src/execution/types.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';

export function summary(r: BatchResult): Record<string, unknown> {
  return {
    stateRoot: bytesToHex(r.stateRoot),
    receiptsRoot: bytesToHex(r.receiptsRoot),
    gasUsed: r.gasUsed,
    withdrawals: r.withdrawals,
    withdrawalsRoot: r.withdrawalsRoot,
    statuses: r.receipts.map((x) => x.status).join(''),
  };
}

/** A result's summary, or the rejection (index and reason) for a rejected batch. */
export async function outcome(run: () => Promise<BatchResult>): Promise<Record<string, unknown>> {
  try {
    return summary(await run());
  } catch (e) {
    if (e instanceof BatchRejectedError) return { rejected: e.index, reason: e.reason };
    throw e;
  }
}
