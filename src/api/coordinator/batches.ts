/**
 * Executing a batch on the node's world state and recording it as `executed`, the state the
 * settlement pipeline picks batches up in.
 *
 * The world state (LMDB) and the database cannot commit together, so the row is written first
 * as `received` with everything needed to execute it again (its transactions, environment and
 * pre-state root), then the post-state is committed, then the row becomes `executed`. A
 * process that died in between leaves a `received` row, and `recoverReceivedBatches` finishes
 * it on the next start: if the head is still the batch's pre-state it executes and commits it;
 * if the head already is the batch's post-state (the commit happened) it re-executes it on the
 * pre-state without committing, checks it arrives at the head, and records the result. Either
 * way the batch's withdrawals are recorded exactly once and in order.
 */
import type { Batch, BatchResult } from '../../execution/types.ts';
import type { WorldState } from '../../execution/world-state/world-state.ts';
import { ConflictError, InvalidInputError } from '../../shared/errors.ts';
import { bytesToHex, toQuantity } from '../../shared/hex.ts';
import { ID_PREFIXES, newId } from '../../shared/ids.ts';
import type { Db } from '../../store/store.ts';

export interface BatchRunner {
  parse(input: unknown): Batch;
  run(batch: Batch, ws: WorldState, commit: boolean): Promise<BatchResult>;
  /** Fault injection: called after the world state committed, before the row is updated. */
  afterCommit?: (batchId: string) => void;
  /** Keeps the run's access list for the signers (access-lists.ts). */
  keepAccessList?: (batchNumber: number, list: NonNullable<BatchResult['accessList']>) => void;
}

export interface RecordedBatch {
  id: string;
  number: number;
  stateRoot: string;
  withdrawals: number;
}

/** The batch file minus its transactions (and `pre`, which a world-state batch has not). */
function envelopeOf(input: unknown): string {
  const { txs: _txs, pre: _pre, ...rest } = input as Record<string, unknown>;
  return JSON.stringify(rest);
}

export async function executeAndRecord(
  db: Db,
  ws: WorldState,
  input: unknown,
  runner: BatchRunner,
): Promise<RecordedBatch> {
  const batch = runner.parse(input);
  // Refused before anything is stored: only a batch on the current head can be committed.
  const head = ws.head().root.toLowerCase();
  if (batch.preStateRoot?.toLowerCase() !== head) {
    throw new InvalidInputError(
      `preStateRoot: ${batch.preStateRoot ?? '(none)'} is not the world state's head ${head}`,
      { field: 'preStateRoot' },
    );
  }
  const last = await db.batch.findFirst({
    where: { number: { not: null } },
    orderBy: { number: 'desc' },
  });
  const number = (last?.number ?? 0) + 1;
  const id = newId(ID_PREFIXES.batch);
  await db.batch.create({
    data: {
      id,
      number,
      status: 'received',
      txs: JSON.stringify(batch.txs.map(bytesToHex)),
      txCount: batch.txs.length,
      env: envelopeOf(input),
      preStateRoot: batch.preStateRoot ?? null,
    },
  });
  const result = await runUnlessRefused(db, id, () => runner.run(batch, ws, true));
  runner.afterCommit?.(id);
  return record(db, id, number, result, runner);
}

/**
 * A batch the executor refuses (an invalid transaction) committed nothing: its row goes, so a
 * rejected batch keeps no number and never blocks the batches after it.
 */
async function runUnlessRefused(
  db: Db,
  id: string,
  run: () => Promise<BatchResult>,
): Promise<BatchResult> {
  try {
    return await run();
  } catch (error) {
    await db.batch.delete({ where: { id } });
    throw error;
  }
}

async function record(
  db: Db,
  id: string,
  number: number,
  result: BatchResult,
  runner: BatchRunner,
): Promise<RecordedBatch> {
  const stateRoot = bytesToHex(result.stateRoot);
  // Before the row says executed: an executed batch's signers may be sent its list at once.
  if (result.accessList !== undefined) runner.keepAccessList?.(number, result.accessList);
  await db.batch.update({
    where: { id },
    data: {
      status: 'executed',
      stateRoot,
      receiptsRoot: bytesToHex(result.receiptsRoot),
      gasUsed: toQuantity(result.gasUsed),
      withdrawals: JSON.stringify(result.withdrawals),
      withdrawalsRoot: result.withdrawalsRoot,
    },
  });
  return { id, number, stateRoot, withdrawals: result.withdrawals.length };
}

/** Finish batches a crash left `received` (see the module comment), oldest first. */
export async function recoverReceivedBatches(
  db: Db,
  ws: WorldState,
  runner: BatchRunner,
): Promise<RecordedBatch[]> {
  const rows = await db.batch.findMany({
    where: { status: 'received' },
    orderBy: { number: 'asc' },
  });
  const done: RecordedBatch[] = [];
  for (const row of rows) {
    if (row.env === null || row.number === null) {
      throw new ConflictError(`batch ${row.id} was received without its environment`);
    }
    const batch = runner.parse({ ...JSON.parse(row.env), txs: JSON.parse(row.txs) });
    const head = ws.head().root.toLowerCase();
    if (head === batch.preStateRoot?.toLowerCase()) {
      const result = await runUnlessRefused(db, row.id, () => runner.run(batch, ws, true));
      done.push(await record(db, row.id, row.number, result, runner));
      continue;
    }
    const result = await runner.run(batch, ws, false);
    if (bytesToHex(result.stateRoot) !== head) {
      throw new ConflictError(
        `batch ${row.number} (${row.id}): the world state's head ${head} is neither its pre-state nor its post-state`,
      );
    }
    done.push(await record(db, row.id, row.number, result, runner));
  }
  return done;
}
