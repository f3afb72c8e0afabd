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
import { ConflictError, CustodyError, InvalidInputError } from '../../shared/errors.ts';
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
      executionMs: result.timing?.executionMs ?? null,
      sequentialEstimateMs: result.timing?.sequentialEstimateMs ?? null,
    },
  });
  return { id, number, stateRoot, withdrawals: result.withdrawals.length };
}

/**
 * A batch submitted over REST (already checked by batch-intake.ts): stored `received` with no
 * number; `executeSubmitted` numbers and executes it.
 */
export async function storeSubmitted(
  db: Db,
  txs: readonly string[],
  submittedBy: string,
  idempotencyKey: string | undefined,
): Promise<{ id: string; status: string }> {
  const id = newId(ID_PREFIXES.batch);
  await db.batch.create({
    data: {
      id,
      status: 'received',
      txs: JSON.stringify(txs),
      txCount: txs.length,
      submittedBy,
      idempotencyKey: idempotencyKey ?? null,
    },
  });
  return { id, status: 'received' };
}

export interface BatchEnvSettings {
  chainId: bigint;
  coinbase: string;
  gasLimit: bigint;
  baseFee: bigint;
}

/**
 * Submitted batches, oldest first: each gets the next number and its environment (a timestamp
 * that never goes back, the configured coinbase, gas limit and base fee) and runs on the head. A
 * batch the executor refuses becomes `rejected` with its reason and gives its number back.
 * Numbers are only given here, by the one coordinator holding the pipeline lease.
 */
export async function executeSubmitted(
  db: Db,
  ws: WorldState,
  runner: BatchRunner,
  settings: BatchEnvSettings,
  now: () => number = Date.now,
): Promise<RecordedBatch[]> {
  const rows = await db.batch.findMany({
    where: { status: 'received', number: null },
    orderBy: { id: 'asc' },
    take: 100,
  });
  const done: RecordedBatch[] = [];
  for (const row of rows) {
    const envelope = await numberBatch(db, ws, row.id, settings, now());
    const result = await rejectIfRefused(db, row.id, () =>
      runner.run(runner.parse({ ...envelope.file, txs: JSON.parse(row.txs) }), ws, true),
    );
    if (result === undefined) continue;
    runner.afterCommit?.(row.id);
    done.push(await record(db, row.id, envelope.number, result, runner));
  }
  return done;
}

/** A submitted batch the executor refuses is kept as `rejected`, its number given back. */
async function rejectIfRefused(
  db: Db,
  id: string,
  run: () => Promise<BatchResult>,
): Promise<BatchResult | undefined> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof CustodyError) || error.status >= 500) throw error;
    await db.batch.update({
      where: { id },
      data: { status: 'rejected', reason: error.message, number: null },
    });
    return undefined;
  }
}

async function numberBatch(
  db: Db,
  ws: WorldState,
  id: string,
  settings: BatchEnvSettings,
  nowMs: number,
): Promise<{ number: number; file: Record<string, unknown> }> {
  const last = await db.batch.findFirst({
    where: { number: { not: null } },
    orderBy: { number: 'desc' },
  });
  const number = (last?.number ?? 0) + 1;
  const lastTimestamp =
    last?.env == null
      ? 0n
      : BigInt((JSON.parse(last.env) as { env: { timestamp: string } }).env.timestamp);
  const now = BigInt(Math.floor(nowMs / 1000));
  const timestamp = now > lastTimestamp ? now : lastTimestamp + 1n;
  const file = {
    fork: 'cancun',
    env: {
      coinbase: settings.coinbase,
      number: toQuantity(BigInt(number)),
      timestamp: toQuantity(timestamp),
      gasLimit: toQuantity(settings.gasLimit),
      baseFee: toQuantity(settings.baseFee),
      prevRandao: `0x${'00'.repeat(32)}`,
      chainId: toQuantity(settings.chainId),
    },
    preStateRoot: ws.head().root.toLowerCase(),
  };
  // Written before the run: a crash after the world-state commit is finished by
  // recoverReceivedBatches from exactly this environment.
  await db.batch.update({
    where: { id },
    data: { number, env: JSON.stringify(file), preStateRoot: file.preStateRoot },
  });
  return { number, file };
}

const EXECUTED = ['executed', 'settling', 'settled'];

/**
 * Brings this node's world state up to the batches the database recorded, by executing the ones
 * it lacks from their stored transactions and environment, each checked against its recorded
 * state root before it is committed. Several coordinators can share one database, each with its
 * own world state: the one that takes the pipeline lease catches up first, so it never numbers
 * or executes a batch on a state that is not the database's newest. A world state that does
 * not match the database's record (another chain, or a divergence) stops it with a ConflictError.
 */
export async function catchUp(db: Db, ws: WorldState, runner: BatchRunner): Promise<number> {
  const head = ws.head();
  const atHead = await db.batch.findFirst({
    where: { number: head.height, status: { in: EXECUTED } },
  });
  if (
    head.height > 0 &&
    atHead?.stateRoot != null &&
    atHead.stateRoot !== head.root.toLowerCase()
  ) {
    throw new ConflictError(
      `this node's world state at batch ${head.height} has root ${head.root}, the database recorded ${atHead.stateRoot}`,
    );
  }
  const newest = await db.batch.findFirst({
    where: { number: { not: null }, status: { in: EXECUTED } },
    orderBy: { number: 'desc' },
  });
  if (head.height > (newest?.number ?? 0)) {
    throw new ConflictError(
      `this node's world state is at batch ${head.height}, past the database's newest (${newest?.number ?? 0})`,
    );
  }
  const missing = await db.batch.findMany({
    where: { number: { gt: head.height }, status: { in: EXECUTED } },
    orderBy: { number: 'asc' },
  });
  let done = 0;
  for (const row of missing) {
    if (row.number !== head.height + done + 1 || row.env === null || row.stateRoot === null) {
      throw new ConflictError(`batch ${row.number} (${row.id}) cannot be replayed in order`);
    }
    const batch = runner.parse({ ...JSON.parse(row.env), txs: JSON.parse(row.txs) });
    // Checked before it is committed: a replay must arrive at the recorded root or not at all.
    const dry = await runner.run(batch, ws, false);
    if (bytesToHex(dry.stateRoot) !== row.stateRoot) {
      throw new ConflictError(
        `batch ${row.number} (${row.id}) replays to ${bytesToHex(dry.stateRoot)}, not the recorded ${row.stateRoot}`,
      );
    }
    await runner.run(batch, ws, true);
    done++;
  }
  return done;
}

/** Finish batches a crash left `received` (see the module comment), oldest first. */
export async function recoverReceivedBatches(
  db: Db,
  ws: WorldState,
  runner: BatchRunner,
): Promise<RecordedBatch[]> {
  // Numbered ones only: a submitted batch without a number has not started executing.
  const rows = await db.batch.findMany({
    where: { status: 'received', number: { not: null } },
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
      const run = () => runner.run(batch, ws, true);
      const result =
        row.submittedBy === null
          ? await runUnlessRefused(db, row.id, run)
          : await rejectIfRefused(db, row.id, run);
      if (result !== undefined) done.push(await record(db, row.id, row.number, result, runner));
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
