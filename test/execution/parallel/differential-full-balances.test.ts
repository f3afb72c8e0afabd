/**
 * Invariant 1 of DESIGN.md for the credit rules (src/execution/README.md): random batches
 * around balances at or near 2^256 - 1 (support/fullBalances.ts), where a deferred credit may
 * overflow, be read back in the same transaction, or decide a later rejection or gas verdict.
 * runParallel with 1, 2 and 4 workers (speculation forced) must give runSequential's result
 * or its rejection, and the list it produced must verify to the same result.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { fullBalanceBatch } from '../support/fullBalances.ts';
import { randomSeed } from '../support/generator.ts';
import { outcome } from '../support/parity.ts';

afterAll(closeWorkerPool);

const SEEDS = 150;

async function expectParity(batch: Batch, label: string): Promise<void> {
  const expected = await outcome(() => runSequential(batch));
  let list: AccessList | undefined;
  for (const workers of [1, 2, 4]) {
    const got = await outcome(async () => {
      const r = await runParallel(batch, { workers, fallback: false });
      list = r.accessList;
      return r;
    });
    expect(got, `${label}, ${workers} workers`).toEqual(expected);
  }
  if (list === undefined) return; // rejected, as sequentially
  const verified = await outcome(() => verifyWithAccessList(batch, list as AccessList));
  expect(verified, `${label}, verifyWithAccessList`).toEqual(expected);
}

describe('runParallel == runSequential around balances of 2^256 - 1', () => {
  it(`${SEEDS} seeds x 1/2/4 workers, and the list verifies`, { timeout: 300_000 }, async () => {
    for (let i = 0; i < SEEDS; i++) {
      const seed = randomSeed();
      await expectParity(parseBatch(fullBalanceBatch(seed)), `seed ${seed}`);
    }
  });
});
