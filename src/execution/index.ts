/** The execution module's public surface. */
export { decodeAccessList, encodeAccessList } from './access-list-wire.ts';
export type { AccessList, TxAccess } from './accessList.ts';
export { parseBatch } from './batch.ts';
export { BRIDGE_ADDRESS } from './bridge/artifact.ts';
export { AccessListMismatchError, BatchRejectedError } from './errors.ts';
export { closeWorkerPool, type RunParallelOpts, runParallel } from './parallel/index.ts';
export { type VerifyOpts, verifyWithAccessList } from './parallel/verify.ts';
export { type RunSequentialOpts, runSequential } from './sequential.ts';
export type { Batch, BatchEnv, BatchResult, Log, TxReceipt, Withdrawal } from './types.ts';
