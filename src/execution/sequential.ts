/**
 * The reference executor: one `runTx` after another on a Merkle state manager. Everything
 * else (the parallel executor, access-list verification) must reproduce its results exactly.
 */
import { createVM } from '@ethereumjs/vm';
import { batchWithdrawals } from './bridge/batch-withdrawals.ts';
import { type ExecutionProfile, makeCommon } from './crypto.ts';
import { decodeTx, shortMessage } from './decode.ts';
import { historyStub, makeBlock } from './env.ts';
import { BatchRejectedError, ExecutionFaultError } from './errors.ts';
import { loadPreState } from './prestate.ts';
import { receiptsRoot, receiptsRootBulk, withCumulativeGas } from './receipts.ts';
import { cumulativeGasReason, executeTx } from './txrun.ts';
import type { Batch, BatchResult, TxReceipt } from './types.ts';
import { bindWorldState, commitIfAsked, type WorldStateOpts } from './world-state/binding.ts';

export interface RunSequentialOpts extends WorldStateOpts {
  /** `fast` (default): state caches and native crypto. `default`: ethereumjs out of the box. */
  profile?: ExecutionProfile;
}

export async function runSequential(
  batch: Batch,
  opts: RunSequentialOpts = {},
): Promise<BatchResult> {
  const profile = opts.profile ?? 'fast';
  const common = makeCommon(batch.env.chainId, profile);
  const world = bindWorldState(batch, opts);
  const stateManager =
    world === undefined
      ? await loadPreState(batch.pre, common, profile)
      : world.ws.stateManagerAt(world.root, { common });
  const keccak = common.customCrypto.keccak256;
  const vm = await createVM({
    common,
    stateManager,
    blockchain: historyStub(keccak ?? (await import('@noble/hashes/sha3.js')).keccak_256),
  });
  const block = makeBlock(batch.env, common);
  const partial: Omit<TxReceipt, 'cumulativeGasUsed'>[] = [];
  let gasUsed = 0n;
  for (let i = 0; i < batch.txs.length; i++) {
    const tx = decodeTx(batch.txs[i] as Uint8Array, i, common, batch.env.gasLimit);
    const overLimit = cumulativeGasReason(tx.gasLimit, batch.env.gasLimit - gasUsed);
    if (overLimit !== undefined) throw new BatchRejectedError(i, overLimit);
    const outcome = await executeTx(vm, tx, block).catch((error: unknown) => {
      throw new ExecutionFaultError(`transaction ${i}: ${shortMessage(error)}`);
    });
    if (!outcome.ok) throw new BatchRejectedError(i, outcome.reason);
    partial.push(outcome.receipt);
    gasUsed += outcome.receipt.gasUsed;
  }
  const receipts = withCumulativeGas(partial);
  const result: BatchResult = {
    stateRoot: await stateManager.getStateRoot(),
    // The one-pass trie (trie.ts, checked against @ethereumjs/mpt in test/execution/receipts.test.ts)
    // with the fast profile's native keccak; the default profile (no custom keccak) keeps
    // @ethereumjs/mpt end to end.
    receiptsRoot:
      keccak !== undefined
        ? receiptsRootBulk(receipts, common, keccak)
        : await receiptsRoot(receipts, common),
    gasUsed,
    txCount: batch.txs.length,
    receipts,
    logs: receipts.flatMap((r) => r.logs),
    ...batchWithdrawals(receipts),
  };
  const committed = await commitIfAsked(world, stateManager);
  if (committed !== undefined) result.committed = committed;
  return result;
}
