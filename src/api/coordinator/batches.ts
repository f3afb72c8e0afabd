/**
 * Executing a batch on the node's world state and recording it as `executed`, the state the
 * settlement pipeline picks batches up in. The row is written first as `received` (with its
 * transactions), then updated once the post-state is committed: a batch is numbered in the order
 * it was received, and a crash leaves a `received` row, never an executed batch without a row.
 */
import type { Batch, BatchResult } from '../../execution/types.ts';
import type { WorldState } from '../../execution/world-state/world-state.ts';
import { bytesToHex, toQuantity } from '../../shared/hex.ts';
import { ID_PREFIXES, newId } from '../../shared/ids.ts';
import type { Db } from '../../store/store.ts';

export type RunBatch = (batch: Batch, ws: WorldState) => Promise<BatchResult>;

export interface RecordedBatch {
  id: string;
  number: number;
  stateRoot: string;
  withdrawals: number;
}

export async function executeAndRecord(
  db: Db,
  ws: WorldState,
  batch: Batch,
  run: RunBatch,
): Promise<RecordedBatch> {
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
      preStateRoot: batch.preStateRoot ?? null,
    },
  });
  const result = await run(batch, ws);
  const stateRoot = bytesToHex(result.stateRoot);
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
