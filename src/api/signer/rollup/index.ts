/**
 * The signer's own rollup: its world state (world.ts), the batches it verified (accept.ts) and
 * the view its settlement verifier reads (view.ts). One batch at a time: a world state has one
 * writer, and batch n+1 is checked against the head batch n left.
 */
import type { Db } from '../../../store/store.ts';
import type { SignerConfig } from '../config.ts';
import type { RollupView } from '../settlement/records.ts';
import {
  type AcceptedBatch,
  acceptBatch,
  type RollupDeps,
  recoverReceivedBatch,
} from './accept.ts';
import type { BatchSubmission } from './submission.ts';
import { rollupView } from './view.ts';
import { openSignerWorld, type SignerWorld } from './world.ts';

export interface SignerRollup {
  readonly view: RollupView;
  accept(sub: BatchSubmission): Promise<AcceptedBatch>;
  close(): Promise<void>;
}

/** Opens the world state and finishes a batch a crash left half-recorded before serving. */
export async function openSignerRollup(
  db: Db,
  config: Pick<SignerConfig, 'rollup' | 'bitcoin'>,
  crash?: RollupDeps['crash'],
): Promise<SignerRollup> {
  const world: SignerWorld = await openSignerWorld(config.rollup, config.bitcoin.network);
  const deps: RollupDeps = { db, world, ...(crash === undefined ? {} : { crash }) };
  try {
    await recoverReceivedBatch(deps);
  } catch (error) {
    await world.ws.close();
    throw error;
  }
  let tail: Promise<unknown> = Promise.resolve();
  return {
    view: rollupView(db, world),
    accept(sub) {
      const run = tail.then(() => acceptBatch(deps, sub));
      tail = run.catch(() => undefined);
      return run;
    },
    async close() {
      await tail;
      await world.ws.close();
    },
  };
}
