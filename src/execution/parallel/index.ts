/**
 * `runParallel(batch, {workers})`: Block-STM over @ethereumjs/vm in worker threads. Produces
 * exactly what `runSequential` produces (root, receipts, gas, withdrawals) or rejects the
 * batch at the same index with the same reason.
 */
import type { Common } from '@ethereumjs/common';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import type { AccessList } from '../accessList.ts';
import { batchWithdrawals } from '../bridge/batch-withdrawals.ts';
import { makeCommon } from '../crypto.ts';
import { shortMessage, unsupportedTypeReason } from '../decode.ts';
import { BatchRejectedError, CREDIT_OVERFLOW, CreditOverflow } from '../errors.ts';
import { loadPreState } from '../prestate.ts';
import { receiptsRootBulk, withCumulativeGas } from '../receipts.ts';
import { cumulativeGasReason, type TxOutcome, throwIfFault } from '../txrun.ts';
import type { Batch, BatchResult, BatchTiming, TxReceipt } from '../types.ts';
import {
  bindWorldState,
  commitIfAsked,
  commitNodesIfAsked,
  type WorldStateBinding,
  type WorldStateOpts,
} from '../world-state/binding.ts';
import { applyFinalWrites } from './apply.ts';
import { finalStateRoot } from './finalState.ts';
import { keyAddress, NO_ACCOUNT } from './keys.ts';
import type { MVMemory } from './mvmemory.ts';
import {
  acquireWorkers,
  closeWorkerPool,
  defaultWorkerCount,
  exclusive,
  type WorkerHandle,
} from './pool.ts';
import { explicitPreView, type PreView, snapshotPreView } from './preView.ts';
import type { BatchState } from './protocol.ts';
import { BlockStm, type ForceInOrderForTests, type StmStats } from './scheduler.ts';
import { worldStateRoot } from './worldRoot.ts';

export { closeWorkerPool } from './pool.ts';

export interface RunParallelOpts extends WorldStateOpts {
  /** worker threads (default: one per core) */
  workers?: number;
  /** fall back to sequential execution when speculation is measured to be wasted (default on) */
  fallback?: boolean;
  /**
   * How the post-state root is computed (both give the same root). `bulk` (default): in one
   * pass, from `pre` (trie.ts) or from the stored tries (world-state/trie-update.ts);
   * `stateManager`: the writes applied through a MerkleStateManager (a cross-check).
   */
  rootVia?: 'bulk' | 'stateManager';
  /** receives scheduler statistics (benchmarks, tests) */
  onStats?: (stats: StmStats) => void;
  /** tests only: force the in-order fallback to start early at a chosen transaction (scheduler.ts) */
  testOnlyForceInOrder?: ForceInOrderForTests;
}

let batchIds = 0;

export function runParallel(batch: Batch, opts: RunParallelOpts = {}): Promise<BatchResult> {
  return exclusive(() => runParallelExclusive(batch, opts));
}

async function runParallelExclusive(batch: Batch, opts: RunParallelOpts): Promise<BatchResult> {
  try {
    return await runBlockStm(batch, opts, true);
  } catch (error) {
    if (!(error instanceof CreditOverflow)) throw error;
    // Deferred credits summed past 2^256 - 1: only a run that reads every balance it adds
    // fails the crediting call with VALUE_OVERFLOW at the right moment, as the EVM does.
    return runBlockStm(batch, opts, false);
  }
}

async function runBlockStm(
  batch: Batch,
  opts: RunParallelOpts,
  credits: boolean,
): Promise<BatchResult> {
  const startedAt = performance.now();
  const workers = opts.workers ?? defaultWorkerCount();
  if (!Number.isInteger(workers) || workers < 1)
    throw new RangeError('workers: expected a positive integer');
  const common = makeCommon(batch.env.chainId, 'fast');
  const world = bindWorldState(batch, opts);
  const view = preViewOf(batch, world, common);
  const { limit, staticFailure } = firstStaticFailure(batch, common);
  const poolStartedAt = performance.now();
  const handles = acquireWorkers(workers);
  await openBatch(handles, batch, { world, credits });
  const poolMs = performance.now() - poolStartedAt;

  const coinbase = Buffer.from(batch.env.coinbase).toString('hex');
  const preCoinbase = view.account(coinbase) ?? NO_ACCOUNT;
  const stm = new BlockStm(
    limit,
    handles,
    coinbase,
    preCoinbase,
    opts.fallback ?? true,
    opts.testOnlyForceInOrder,
  );
  const stmStartedAt = performance.now();
  try {
    await stm.run();
  } catch (error) {
    // a failed run can leave incarnations queued on the workers, whose answers must not
    // reach the next batch: start that one on fresh workers
    await closeWorkerPool();
    throw error;
  }
  opts.onStats?.({ ...stm.stats });
  const stmMs = performance.now() - stmStartedAt;

  const result = await finishBatch({
    batch,
    common,
    limit,
    staticFailure,
    outcomes: stm.outcomes,
    mv: stm.mv,
    createdCodes: stm.codes,
    fees: stm.fees,
    rootVia: opts.rootVia ?? 'bulk',
    world,
    view,
  });
  result.accessList = Array.from({ length: limit }, (_, tx) => ({
    reads: stm.reads[tx]?.keys ?? [],
    writes: stm.mv.writesOf(tx),
    fee: stm.fees[tx] as bigint,
    codes: stm.codesBy[tx] ?? [],
  }));
  result.timing = batchTiming({
    wallMs: performance.now() - startedAt,
    parallelOnlyMs: poolMs + stmMs,
    txMs: stm.txMs,
  });
  return result;
}

/**
 * The batch's wall time and what one thread would have needed: the parts that run once either
 * way (decoding, the pre-state view, the root) plus each transaction once, for as long as its
 * committed incarnation took on its worker; not the parts only a parallel run has (handing the
 * batch to the workers, speculation). An estimate: transactions timed while every core is busy
 * run a little slower than they would alone.
 */
export function batchTiming(t: {
  wallMs: number;
  parallelOnlyMs: number;
  txMs: ArrayLike<number>;
}): BatchTiming {
  let txTotal = 0;
  for (let i = 0; i < t.txMs.length; i++) txTotal += t.txMs[i] as number;
  const executionMs = Math.max(1, Math.round(t.wallMs));
  const sequentialEstimateMs = Math.max(1, Math.round(t.wallMs - t.parallelOnlyMs + txTotal));
  return { executionMs, sequentialEstimateMs };
}

export interface FinishBatchInput {
  batch: Batch;
  common: Common;
  limit: number;
  staticFailure: BatchRejectedError | undefined;
  outcomes: (TxOutcome | undefined)[];
  mv: MVMemory;
  createdCodes: Map<string, Uint8Array>;
  fees: bigint[];
  /** `bulk`: one pass over pre (or the stored tries) + writes; `stateManager`: through a MerkleStateManager */
  rootVia: 'bulk' | 'stateManager';
  /** set for a batch on the world state: the writes build on its root, committed if asked */
  world: WorldStateBinding | undefined;
  view: PreView;
}

/**
 * Receipts in batch order (rejecting the batch at the first invalid transaction, exactly where
 * the sequential executor would), then the final writes applied to the trie once.
 */
export async function finishBatch(input: FinishBatchInput): Promise<BatchResult> {
  const { batch, common, limit } = input;
  throwIfCreditOverflowed(input);
  const partial: Omit<TxReceipt, 'cumulativeGasUsed'>[] = [];
  let gasUsed = 0n;
  for (let i = 0; i < limit; i++) {
    const overLimit = cumulativeGasReason(
      gasLimitOf(batch, i, common),
      batch.env.gasLimit - gasUsed,
    );
    if (overLimit !== undefined) throw new BatchRejectedError(i, overLimit);
    const outcome = input.outcomes[i];
    throwIfFault(i, outcome);
    if (outcome === undefined || !outcome.ok)
      throw new BatchRejectedError(i, outcome?.reason ?? 'not executed');
    partial.push(outcome.receipt);
    gasUsed += outcome.receipt.gasUsed;
  }
  if (input.staticFailure !== undefined) throw input.staticFailure;

  const coinbase = Buffer.from(batch.env.coinbase).toString('hex');
  const totalFees = input.fees.slice(0, limit).reduce((a, b) => a + b, 0n);
  const preAccount = input.view.account;
  const keccak = common.customCrypto.keccak256 as (d: Uint8Array) => Uint8Array;
  let stateRoot: Uint8Array;
  let committed: BatchResult['committed'];
  if (input.rootVia === 'bulk' && input.world === undefined) {
    stateRoot = finalStateRoot(batch.pre, preAccount, input.mv, coinbase, totalFees, keccak);
  } else if (input.rootVia === 'bulk' && input.world !== undefined) {
    const { root, nodes } = worldStateRoot({
      snapshot: input.world.ws.snapshot(input.world.root),
      mv: input.mv,
      createdCode: (hash) => input.createdCodes.get(hash),
      coinbase,
      preAccount,
      totalFees,
      keccak,
    });
    stateRoot = root;
    committed = await commitNodesIfAsked(input.world, root, nodes);
  } else {
    const sm =
      input.world === undefined
        ? await loadPreState(batch.pre, common, 'fast')
        : input.world.ws.stateManagerAt(input.world.root, { common });
    const code = (hash: string) => input.createdCodes.get(hash) ?? input.view.code(hash);
    await applyFinalWrites(sm, input.mv, code, preAccount, coinbase, totalFees);
    stateRoot = await sm.getStateRoot();
    committed = await commitIfAsked(input.world, sm);
  }
  const receipts = withCumulativeGas(partial);
  const rr = receiptsRootBulk(receipts, common, keccak);
  const result: BatchResult = {
    stateRoot,
    receiptsRoot: rr,
    gasUsed,
    txCount: batch.txs.length,
    receipts,
    logs: receipts.flatMap((r) => r.logs),
    ...batchWithdrawals(receipts),
  };
  if (committed !== undefined) result.committed = committed;
  return result;
}

/**
 * A deferred credit is checked against 2^256 - 1 only where it is summed, and everything a
 * run did after a credit the EVM would have refused (a later sender left unfunded, a callee
 * that should not have run burning gas) is not the sequential execution: its rejections and
 * gas totals are no verdicts. So before any of them, every overflow a worker met and every
 * credited balance summed in transaction order are checked; an overflow re-runs the batch
 * without credits (runParallel) or convicts the list (verifyWithAccessList).
 */
function throwIfCreditOverflowed(input: FinishBatchInput): void {
  for (let tx = 0; tx < input.limit; tx++) {
    const o = input.outcomes[tx];
    if (o?.ok === false && o.fault === true && o.reason === CREDIT_OVERFLOW) {
      throw new CreditOverflow(tx);
    }
  }
  const preBalance = (key: string) => (input.view.account(keyAddress(key)) ?? NO_ACCOUNT).balance;
  const tx = input.mv.firstCreditOverflow(preBalance);
  if (tx !== undefined) throw new CreditOverflow(tx);
}

/** The pre-state the coordinator thread reads (the coinbase, code of untouched accounts). */
export function preViewOf(
  batch: Batch,
  world: WorldStateBinding | undefined,
  common: ReturnType<typeof makeCommon>,
): PreView {
  if (world !== undefined) return snapshotPreView(world.ws.snapshot(world.root));
  return explicitPreView(batch.pre, common.customCrypto.keccak256 as (d: Uint8Array) => Uint8Array);
}

/**
 * Checks that need no state, done up front so that workers never see an undecodable
 * transaction. Transactions after the first such failure cannot change the verdict (the batch
 * is rejected at that index or earlier), so they are not executed.
 */
/** Gas limits decoded by firstStaticFailure, for the cumulative check at the end. */
const gasLimits = new WeakMap<Uint8Array, bigint>();

export function firstStaticFailure(
  batch: Batch,
  common: ReturnType<typeof makeCommon>,
): { limit: number; staticFailure?: BatchRejectedError } {
  for (let i = 0; i < batch.txs.length; i++) {
    const raw = batch.txs[i] as Uint8Array;
    const typeReason = unsupportedTypeReason(raw);
    if (typeReason !== undefined)
      return { limit: i, staticFailure: new BatchRejectedError(i, typeReason) };
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common }) as TypedTransaction;
    } catch (error) {
      return {
        limit: i,
        staticFailure: new BatchRejectedError(i, `undecodable transaction: ${shortMessage(error)}`),
      };
    }
    gasLimits.set(raw, tx.gasLimit);
    if (!tx.isSigned())
      return { limit: i, staticFailure: new BatchRejectedError(i, 'transaction is not signed') };
    if (tx.gasLimit > batch.env.gasLimit) {
      return {
        limit: i,
        staticFailure: new BatchRejectedError(
          i,
          `gas limit ${tx.gasLimit} is above the batch gas limit ${batch.env.gasLimit}`,
        ),
      };
    }
  }
  return { limit: batch.txs.length };
}

function gasLimitOf(batch: Batch, i: number, common: ReturnType<typeof makeCommon>): bigint {
  const raw = batch.txs[i] as Uint8Array;
  let g = gasLimits.get(raw);
  if (g === undefined) {
    g = (createTxFromRLP(raw, { common }) as TypedTransaction).gasLimit;
    gasLimits.set(raw, g);
  }
  return g;
}

export function openBatch(
  handles: WorkerHandle[],
  batch: Batch,
  opts: { world: WorldStateBinding | undefined; known?: AccessList; credits: boolean },
): Promise<unknown> {
  const id = ++batchIds;
  const { world, known, credits } = opts;
  const state: BatchState =
    world === undefined ? { pre: batch.pre } : { world: { dir: world.ws.dir, root: world.root } };
  return Promise.all(
    handles.map(
      (h) =>
        new Promise<void>((resolve, reject) => {
          h.listen((msg) => {
            if (msg.t === 'ready' && msg.id === id) resolve();
            else if (msg.t === 'fatal') reject(new Error(`worker failed: ${msg.message}`));
          });
          h.post({ t: 'batch', id, env: batch.env, state, txs: batch.txs, known, credits });
        }),
    ),
  );
}
