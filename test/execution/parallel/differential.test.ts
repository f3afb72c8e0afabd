/**
 * Invariant 1 of DESIGN.md: runParallel gives the same state root, receipts root, gas and
 * withdrawals as runSequential, for every worker count. Random batches (support/generator.ts)
 * with speculation forced on (`fallback: false`) so Block-STM itself is exercised, and once
 * more with the default fallback rule.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import {
  closeWorkerPool,
  type RunParallelOpts,
  runParallel,
} from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { randomBatch, randomSeed } from '../support/generator.ts';
import { outcome } from '../support/parity.ts';

afterAll(closeWorkerPool);

const SEEDS = 48;
const WORKERS = [1, 2, 4, 8];

async function expectParity(batch: Batch, opts: RunParallelOpts, label: string): Promise<void> {
  const expected = await outcome(() => runSequential(batch));
  for (const workers of WORKERS) {
    const got = await outcome(() => runParallel(batch, { ...opts, workers }));
    expect(got, `${label}, ${workers} workers`).toEqual(expected);
  }
}

describe('runParallel == runSequential on random batches', () => {
  it(`${SEEDS} seeds x ${WORKERS.join('/')} workers, speculation forced`, {
    timeout: 600_000,
  }, async () => {
    for (let i = 0; i < SEEDS; i++) {
      const seed = randomSeed();
      const size = 20 + (seed % 60);
      await expectParity(
        parseBatch(randomBatch(seed, size)),
        { fallback: false },
        `seed ${seed} size ${size}`,
      );
    }
  });

  it('with the default fallback rule', { timeout: 600_000 }, async () => {
    for (let i = 0; i < 4; i++) {
      const seed = randomSeed();
      await expectParity(parseBatch(randomBatch(seed, 120)), {}, `seed ${seed} size 120`);
    }
  });

  it('a batch rejected late is rejected at the same index with the same reason', {
    timeout: 120_000,
  }, async () => {
    const seed = randomSeed();
    const file = randomBatch(seed, 40) as { txs: string[] };
    // replay transaction 3 at the end: its nonce is stale by then
    file.txs.push(file.txs[3] as string);
    const batch = parseBatch(file);
    const expected = await outcome(() => runSequential(batch));
    expect(expected.rejected, `seed ${seed}`).toBe(40);
    await expectParity(batch, { fallback: false }, `seed ${seed} replayed tx`);
  });
});
