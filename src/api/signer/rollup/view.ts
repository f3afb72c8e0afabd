/**
 * The signer's rollup as its settlement verifier reads it (records.ts `RollupView`): its head,
 * the roots of the batches it verified and the withdrawals of its own executions, all from its
 * own `SignerBatch` rows. Batch 0 is the genesis.
 */
import { queueFromStored } from '../../../settlement/withdrawals.ts';
import type { Db } from '../../../store/store.ts';
import type { RollupView } from '../settlement/records.ts';
import type { SignerWorld } from './world.ts';

export function rollupView(
  db: Db,
  world: Pick<SignerWorld, 'chainId' | 'genesisRoot'>,
): RollupView {
  return {
    chainId: world.chainId,
    async head() {
      const row = await db.signerBatch.findFirst({
        where: { status: 'verified' },
        orderBy: { number: 'desc' },
        select: { number: true, stateRoot: true },
      });
      if (row === null) return { number: 0, stateRoot: world.genesisRoot };
      return { number: row.number, stateRoot: row.stateRoot as string };
    },
    async batchStateRoot(number) {
      if (number === 0) return world.genesisRoot;
      const row = await db.signerBatch.findUnique({ where: { number } });
      return row?.status === 'verified' ? row.stateRoot : null;
    },
    async withdrawals(from, upTo) {
      const rows = await db.signerBatch.findMany({
        where: { status: 'verified', number: { lte: upTo }, withdrawals: { not: null } },
        orderBy: { number: 'asc' },
        select: { withdrawals: true },
      });
      return queueFromStored(
        rows.map((r) => r.withdrawals as string),
        from,
      );
    },
  };
}
