import { CustodyError } from '../shared/errors.ts';

/**
 * A batch that cannot be executed as a whole because one transaction is invalid (bad
 * signature, wrong chain id, nonce gap, unpayable gas, gas over the batch limit...). Reverts
 * and out-of-gas are not this: they are results. `index` names the culprit.
 */
export class BatchRejectedError extends CustodyError {
  readonly index: number;
  readonly reason: string;
  constructor(index: number, reason: string) {
    super('batch-rejected', 422, 'Batch rejected', `transaction ${index}: ${reason}`, {
      index,
      reason,
    });
    this.index = index;
    this.reason = reason;
  }
}

/** An access list that does not describe the batch: `index` names the first transaction it got wrong. */
export class AccessListMismatchError extends CustodyError {
  readonly index: number;
  constructor(index: number, reason: string) {
    super('access-list-mismatch', 422, 'Access list mismatch', `transaction ${index}: ${reason}`, {
      index,
      reason,
    });
    this.index = index;
  }
}

/**
 * Raised inside execution when the node itself is at fault (a corrupt or missing state node,
 * code missing from a replica, a bug), never because of the transaction. `executeTx` lets it
 * through instead of calling the transaction invalid.
 */
export class ExecutionFault extends Error {}

/**
 * The reason a fault carries when deferred balance credits (parallel/keys.ts) took a balance
 * past 2^256 - 1, which the EVM refuses at the moment of the credit (VALUE_OVERFLOW). Only a
 * run that reads every balance it adds to reproduces that, so the parallel executor re-runs
 * the batch without deferred credits when it meets this fault.
 */
export const CREDIT_OVERFLOW = 'a deferred credit overflows a balance';

export class CreditOverflow extends ExecutionFault {
  /** the transaction whose credit overflowed, when known */
  constructor(readonly tx?: number) {
    super(CREDIT_OVERFLOW);
  }
}

/**
 * The node could not execute the batch: its state is corrupt or the executor failed. This says
 * nothing about the batch, so it is a 500, not a rejection; the node must be repaired.
 */
export class ExecutionFaultError extends CustodyError {
  constructor(detail: string) {
    super('execution-fault', 500, 'Execution fault', detail);
  }
}
