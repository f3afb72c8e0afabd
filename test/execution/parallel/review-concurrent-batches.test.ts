/**
 * Review finding: the worker pool is a module-level singleton and each run takes it over by
 * replacing every worker's single listener (`WorkerHandle.listen`). Two batches executed at
 * the same time in one process (two API requests, or a signer verifying while the coordinator
 * executes) therefore steal each other's messages: the first run's `openBatch` never sees its
 * `ready` and its promise never settles. Nothing queues or refuses the second run.
 * (src/execution/parallel/pool.ts acquireWorkers/listen; index.ts openBatch)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { BatchResult } from '../../../src/execution/types.ts';
import { summary } from '../support/parity.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

function transfers(n: number) {
  const keys = Array.from({ length: n }, () => newKey());
  const pre: Record<string, { balance: bigint }> = {};
  for (const k of keys) pre[k.address] = { balance: 10n ** 18n };
  const txs = keys.map((k) => signTx(k, { nonce: 0n, to: newKey().address, value: 5n }));
  return parseBatch(batchFile({ pre, txs }));
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

describe('review: two batches at once on the shared pool', () => {
  // Fixed: runs take turns on the pool (pool.ts `exclusive`).
  it('both settle with their sequential results', { timeout: 60_000 }, async () => {
    const a = transfers(6);
    const b = transfers(7);
    const [expectA, expectB] = [summary(await runSequential(a)), summary(await runSequential(b))];
    const both = Promise.all([
      runParallel(a, { workers: 2, fallback: false }),
      runParallel(b, { workers: 2, fallback: false }),
    ]);
    const got = await within(both, 20_000);
    expect(got, 'runParallel never settled').not.toBe('timeout');
    const [ra, rb] = got as BatchResult[];
    expect(summary(ra as BatchResult)).toEqual(expectA);
    expect(summary(rb as BatchResult)).toEqual(expectB);
  });
});
