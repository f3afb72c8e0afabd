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
