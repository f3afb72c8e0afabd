/**
 * A signer takes a batch into its own rollup only by arriving at its post-state itself: with the
 * coordinator's access list through `verifyWithAccessList` (every transaction once, no
 * speculation), or, when the list is absent or refused, by its own parallel execution. The
 * coordinator's root is a claim: the head moves only when the signer's own root equals it
 * (`commitOnlyIfRoot`), and a different root is refused naming both, with nothing committed.
 *
 * Batches are taken strictly in order on the signer's own head: batch n+1 on the post-state of
 * its batch n. The world state (LMDB) and the database cannot commit together, so the row is
 * written `received` first (with the claimed root), then the world state commits, then the row
 * becomes `verified`; `recoverReceivedBatch` finishes a row a crash left behind.
 */
import type { AccessList } from '../../../execution/accessList.ts';
import { AccessListMismatchError, BatchRejectedError } from '../../../execution/errors.ts';
import { runParallel } from '../../../execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../execution/parallel/verify.ts';
import type { Batch, BatchResult } from '../../../execution/types.ts';
import type { WorldState } from '../../../execution/world-state/world-state.ts';
import { ConflictError, CustodyError } from '../../../shared/errors.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Db } from '../../../store/store.ts';
import { checkBatchChain } from '../../coordinator/world-state.ts';
import { type BatchSubmission, parseBatchSubmission } from './submission.ts';
import { rollupView } from './view.ts';
import type { SignerWorld } from './world.ts';

export type RefusalCode =
  | 'not-next'
  | 'wrong-pre-state'
  | 'state-root-differs'
  | 'conflicting-batch'
  | 'invalid-transaction';

/** A batch this signer will not take into its rollup; nothing was committed. */
export class BatchRefusedError extends CustodyError {
  readonly reason: RefusalCode;
  constructor(reason: RefusalCode, detail: string, extensions: Record<string, unknown> = {}) {
    super('batch-refused', 409, 'Batch refused', `${reason}: ${detail}`, {
      reason,
      ...extensions,
    });
    this.reason = reason;
  }
}

export type CheckedBy = 'access-list' | 'execution';

export interface AcceptedBatch {
  number: number;
  stateRoot: string;
  checkedBy: CheckedBy;
  withdrawals: number;
  /** the same batch was already verified: nothing new happened */
  replayed: boolean;
  /** why the coordinator's access list was refused, when it was */
  accessListRefused?: string;
}

export interface RollupDeps {
  db: Db;
  world: SignerWorld;
  /** Fault-injection tests: called after the world state committed, before the row says so. */
  crash?: (point: 'rollup:after-commit') => void;
}

const ACTOR = 'coordinator';

export async function acceptBatch(deps: RollupDeps, sub: BatchSubmission): Promise<AcceptedBatch> {
  checkBatchChain(sub.batch, deps.world.chainId);
  const existing = await deps.db.signerBatch.findUnique({ where: { number: sub.number } });
  if (existing?.status === 'verified') return replayOf(existing, sub);
  if (existing !== null) {
    // Left `received` by a run that failed midway (batches are taken one at a time): finish it.
    await recoverReceivedBatch(deps);
    const after = await deps.db.signerBatch.findUnique({ where: { number: sub.number } });
    if (after?.status === 'verified') return replayOf(after, sub);
    if (after !== null) throw new ConflictError(`batch ${sub.number} could not be finished`);
  }
  const head = await rollupView(deps.db, deps.world).head();
  if (sub.number !== head.number + 1) {
    return refuse(
      deps,
      sub,
      'not-next',
      `this signer's head is batch ${head.number}; it takes batch ${head.number + 1} next, not ${sub.number}`,
      { head: head.number },
    );
  }
  if (sub.preStateRoot !== head.stateRoot) {
    return refuse(
      deps,
      sub,
      'wrong-pre-state',
      `preStateRoot ${sub.preStateRoot} is not the post-state ${head.stateRoot} of this signer's batch ${head.number}`,
    );
  }
  await deps.db.signerBatch.create({
    data: {
      number: sub.number,
      status: 'received',
      preStateRoot: sub.preStateRoot,
      env: sub.env,
      txs: JSON.stringify(sub.txs),
      stateRoot: sub.claimedStateRoot,
    },
  });
  let own: OwnRun;
  try {
    own = await runOwn(deps.world.ws, sub.batch, sub.claimedStateRoot, sub.accessList);
  } catch (error) {
    // A failure after the world state committed leaves the row for recovery, never a head
    // with no row; before it, the row goes.
    if (deps.world.ws.headRoot() === sub.claimedStateRoot) throw error;
    await deps.db.signerBatch.delete({ where: { number: sub.number } });
    if (!(error instanceof BatchRejectedError)) throw error;
    return refuse(deps, sub, 'invalid-transaction', error.message);
  }
  if (own.result.committed !== undefined) deps.crash?.('rollup:after-commit');
  return settle(deps, sub, own);
}

interface OwnRun {
  result: BatchResult;
  checkedBy: CheckedBy;
  accessListRefused?: string;
}

/**
 * The signer's own post-state, committed only if it is the claimed one. A list that does not
 * describe the batch is no reason to refuse the batch: the signer executes it itself.
 */
async function runOwn(
  ws: WorldState,
  batch: Batch,
  claimed: string,
  list: AccessList | undefined,
): Promise<OwnRun> {
  const opts = { worldState: ws, commit: true, commitOnlyIfRoot: claimed };
  let accessListRefused: string | undefined;
  if (list !== undefined) {
    try {
      return { result: await verifyWithAccessList(batch, list, opts), checkedBy: 'access-list' };
    } catch (error) {
      // A rejected transaction under a wrong list is the list's word too: only our own run decides.
      if (!(error instanceof AccessListMismatchError || error instanceof BatchRejectedError)) {
        throw error;
      }
      accessListRefused = error.message;
    }
  }
  const result = await runParallel(batch, opts);
  return {
    result,
    checkedBy: 'execution',
    ...(accessListRefused === undefined ? {} : { accessListRefused }),
  };
}

/** Records the run: verified when the head moved to the claimed root, refused otherwise. */
async function settle(deps: RollupDeps, sub: BatchSubmission, own: OwnRun): Promise<AcceptedBatch> {
  const ownRoot = bytesToHex(own.result.stateRoot);
  // commitOnlyIfRoot: the head moved exactly when its own root is the claimed one.
  if (ownRoot !== sub.claimedStateRoot) {
    await deps.db.signerBatch.delete({ where: { number: sub.number } });
    return refuse(
      deps,
      sub,
      'state-root-differs',
      `the coordinator claims post-state ${sub.claimedStateRoot}; this signer's own ${own.checkedBy === 'access-list' ? 'verification' : 'execution'} gives ${ownRoot}`,
      { ownStateRoot: ownRoot, checkedBy: own.checkedBy, ...listNote(own) },
    );
  }
  await deps.db.signerBatch.update({
    where: { number: sub.number },
    data: {
      status: 'verified',
      stateRoot: ownRoot,
      withdrawals: JSON.stringify(own.result.withdrawals),
      checkedBy: own.checkedBy,
    },
  });
  await appendAudit(deps.db, {
    actor: ACTOR,
    action: 'rollup.batch.verified',
    subject: String(sub.number),
    data: {
      stateRoot: ownRoot,
      txCount: sub.txs.length,
      withdrawals: own.result.withdrawals.length,
      checkedBy: own.checkedBy,
      ...listNote(own),
    },
  });
  return {
    number: sub.number,
    stateRoot: ownRoot,
    checkedBy: own.checkedBy,
    withdrawals: own.result.withdrawals.length,
    replayed: false,
    ...listNote(own),
  };
}

function listNote(own: OwnRun): { accessListRefused?: string } {
  return own.accessListRefused === undefined ? {} : { accessListRefused: own.accessListRefused };
}

interface BatchRow {
  number: number;
  preStateRoot: string;
  env: string;
  txs: string;
  stateRoot: string | null;
  withdrawals: string | null;
  checkedBy: string | null;
}

/** The batch already verified again: the same batch is answered as before, another refused. */
async function replayOf(row: BatchRow, sub: BatchSubmission): Promise<AcceptedBatch> {
  const same =
    row.env === sub.env &&
    row.txs === JSON.stringify(sub.txs) &&
    row.preStateRoot === sub.preStateRoot;
  if (!same) {
    throw new BatchRefusedError(
      'conflicting-batch',
      `this signer verified another batch ${row.number} (other transactions, environment or pre-state)`,
    );
  }
  if (row.stateRoot !== sub.claimedStateRoot) {
    throw new BatchRefusedError(
      'state-root-differs',
      `the coordinator claims post-state ${sub.claimedStateRoot} for batch ${row.number}; this signer verified ${row.stateRoot}`,
      { ownStateRoot: row.stateRoot },
    );
  }
  return {
    number: row.number,
    stateRoot: row.stateRoot,
    checkedBy: row.checkedBy as CheckedBy,
    withdrawals: (JSON.parse(row.withdrawals ?? '[]') as unknown[]).length,
    replayed: true,
  };
}

async function refuse(
  deps: RollupDeps,
  sub: BatchSubmission,
  reason: RefusalCode,
  detail: string,
  extensions: Record<string, unknown> = {},
): Promise<never> {
  const error = new BatchRefusedError(reason, detail, extensions);
  await appendAudit(deps.db, {
    actor: ACTOR,
    action: 'rollup.batch.refused',
    subject: String(sub.number),
    data: { reason, detail: error.message, claimedStateRoot: sub.claimedStateRoot, ...extensions },
  });
  throw error;
}

/**
 * A row a crash left `received` (at most one: batches are taken one at a time). If the head is
 * still its pre-state, the batch runs again (by execution: the list was not kept); if the head
 * is its claimed root, the commit happened and a run without commit confirms it.
 */
export async function recoverReceivedBatch(deps: RollupDeps): Promise<AcceptedBatch | undefined> {
  const row = await deps.db.signerBatch.findFirst({ where: { status: 'received' } });
  if (row === null) return undefined;
  const sub = parseBatchSubmission({
    number: row.number,
    batch: { ...JSON.parse(row.env), txs: JSON.parse(row.txs) },
    stateRoot: row.stateRoot,
  });
  const head = deps.world.ws.headRoot();
  if (head === sub.preStateRoot) {
    // The commit did not happen: take the batch as if it arrived now.
    await deps.db.signerBatch.delete({ where: { number: row.number } });
    return acceptBatch(deps, sub).catch((error) => {
      if (error instanceof BatchRefusedError) return undefined;
      throw error;
    });
  }
  if (head !== sub.claimedStateRoot) {
    throw new ConflictError(
      `batch ${row.number}: the world state's head ${head} is neither its pre-state nor its claimed post-state`,
    );
  }
  const result = await runParallel(sub.batch, { worldState: deps.world.ws });
  if (bytesToHex(result.stateRoot) !== head) {
    throw new ConflictError(
      `batch ${row.number}: re-executed, it does not arrive at the head ${head}`,
    );
  }
  return settle(deps, sub, { result, checkedBy: 'execution' });
}
