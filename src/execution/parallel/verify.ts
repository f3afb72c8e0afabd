/**
 * `verifyWithAccessList(batch, list)`: what a signer runs instead of speculating. Every
 * transaction executes once, all at the same time, against the pre-state plus the writes the
 * list declares for the transactions before it. The list is accepted only if each execution
 * reads nothing outside its declared reads and writes exactly its declared writes and fee.
 * By induction over the batch the declared writes are then the sequential ones, so the root
 * computed from them is the sequential root; a wrong or incomplete list is rejected naming the
 * first transaction it got wrong.
 */
import type { AccessList, TxAccess } from '../accessList.ts';
import { makeCommon } from '../crypto.ts';
import { AccessListMismatchError, CREDIT_OVERFLOW, CreditOverflow } from '../errors.ts';
import { throwIfFault } from '../txrun.ts';
import type { Batch, BatchResult } from '../types.ts';
import { bindWorldState, type WorldStateOpts } from '../world-state/binding.ts';
import { finishBatch, firstStaticFailure, openBatch, preViewOf } from './index.ts';
import { isCredit, sameValue, type Value } from './keys.ts';
import { MVMemory } from './mvmemory.ts';
import { acquireWorkers, defaultWorkerCount, exclusive, type WorkerHandle } from './pool.ts';
import type { Executed } from './protocol.ts';

export interface VerifyOpts extends WorldStateOpts {
  workers?: number;
}

export function verifyWithAccessList(
  batch: Batch,
  list: AccessList,
  opts: VerifyOpts = {},
): Promise<BatchResult> {
  return exclusive(() => verifyExclusive(batch, list, opts));
}

async function verifyExclusive(
  batch: Batch,
  list: AccessList,
  opts: VerifyOpts,
): Promise<BatchResult> {
  const common = makeCommon(batch.env.chainId, 'fast');
  const world = bindWorldState(batch, opts);
  const { limit, staticFailure } = firstStaticFailure(batch, common);
  if (list.length !== limit) {
    throw new AccessListMismatchError(
      Math.min(list.length, limit),
      `the list describes ${list.length} transactions, the batch executes ${limit}`,
    );
  }
  const keccak = common.customCrypto.keccak256 as (d: Uint8Array) => Uint8Array;
  list.forEach((entry, tx) => {
    for (const [hash, code] of entry.codes) {
      if (Buffer.from(keccak(code)).toString('hex') !== hash) {
        throw new AccessListMismatchError(tx, `declared code does not hash to ${hash}`);
      }
    }
  });
  const handles = acquireWorkers(opts.workers ?? defaultWorkerCount());
  // A list from a run that deferred no credit is verified by a run that defers none.
  const credits = list.some((e) => e.writes.some(([, value]) => isCredit(value)));
  await openBatch(handles, batch, { world, known: list, credits });
  const results = await executeAll(handles, limit);

  const mv = new MVMemory();
  const createdCodes = new Map<string, Uint8Array>();
  for (let tx = 0; tx < limit; tx++) {
    const outcome = (results[tx] as Executed).outcome;
    if (outcome?.ok === false && outcome.reason === CREDIT_OVERFLOW) {
      throw new AccessListMismatchError(tx, 'a credit the list defers overflows a balance');
    }
    throwIfFault(tx, outcome);
    const problem = mismatch(list[tx] as TxAccess, results[tx] as Executed);
    if (problem !== undefined) throw new AccessListMismatchError(tx, problem);
    const entry = list[tx] as TxAccess;
    mv.record(tx, 0, entry.writes);
    for (const [hash, code] of entry.codes) createdCodes.set(hash, code);
  }
  try {
    return await finishBatch({
      batch,
      common,
      limit,
      staticFailure,
      outcomes: results.map((r) => r.outcome),
      mv,
      createdCodes,
      fees: list.map((e) => e.fee),
      rootVia: 'bulk',
      world,
      view: preViewOf(batch, world, common),
    });
  } catch (error) {
    if (!(error instanceof CreditOverflow)) throw error;
    throw new AccessListMismatchError(
      error.tx ?? limit - 1,
      'the credits the list defers overflow a balance',
    );
  }
}

/** Why an execution disagrees with its declared entry, or undefined when it agrees. */
function mismatch(declared: TxAccess, got: Executed): string | undefined {
  if (got.blockedBy !== undefined || got.reads === undefined) return 'execution did not complete';
  const declaredReads = new Set(declared.reads);
  for (const key of got.reads.keys) {
    if (!declaredReads.has(key)) return `read ${key} is missing from the list`;
  }
  // Code is content-addressed, but the list must still carry exactly the code each
  // transaction created: later transactions run it from there.
  const created = new Set((got.codes ?? []).map(([hash]) => hash));
  const declaredCodes = new Set(declared.codes.map(([hash]) => hash));
  if (created.size !== declaredCodes.size || [...created].some((h) => !declaredCodes.has(h))) {
    return 'created code differs from the code the list declares';
  }
  if ((got.fee ?? 0n) !== declared.fee)
    return `fee is ${got.fee ?? 0n}, the list says ${declared.fee}`;
  const actual = new Map<string, Value>(got.writes ?? []);
  if (new Set(declared.writes.map(([key]) => key)).size !== declared.writes.length) {
    return 'the list declares a write to one location twice';
  }
  if (actual.size !== declared.writes.length) {
    return `wrote ${actual.size} locations, the list declares ${declared.writes.length}`;
  }
  for (const [key, value] of declared.writes) {
    if (!actual.has(key)) return `declared write ${key} did not happen`;
    if (!sameValue(actual.get(key), value))
      return `wrote a different value to ${key} than declared`;
  }
  return undefined;
}

/** Every transaction once, spread over the workers; no validation, no re-execution. */
function executeAll(handles: WorkerHandle[], n: number): Promise<Executed[]> {
  return new Promise((resolve, reject) => {
    const results = new Array<Executed>(n);
    let next = 0;
    let pending = n;
    if (n === 0) resolve(results);
    const dispatch = (h: WorkerHandle): void => {
      if (next < n) h.post({ t: 'exec', tx: next++, inc: 0 });
    };
    for (const h of handles) {
      h.listen((msg) => {
        if (msg.t === 'fatal') reject(new Error(`worker failed: ${msg.message}`));
        if (msg.t !== 'done') return;
        results[msg.tx] = msg;
        if (--pending === 0) resolve(results);
        else dispatch(h);
      });
      // two in flight per worker hide the message round trip
      dispatch(h);
      dispatch(h);
    }
  });
}
