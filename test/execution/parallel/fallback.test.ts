/**
 * A hopelessly dependent batch (every transaction bumps one counter) is measured as such and
 * finished one transaction at a time; an independent one is not. Both equal the sequential
 * result. Also: the state-manager root path (apply.ts, for a persistent world state) agrees
 * with the one-pass root.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import type { StmStats } from '../../../src/execution/parallel/scheduler.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { COUNTER } from '../support/contracts.ts';
import { randomBatch, randomSeed } from '../support/generator.ts';
import { outcome } from '../support/parity.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const counter = `0x${'c0'.repeat(20)}`;

function batchOf(n: number, hot: boolean): Batch {
  const keys = Array.from({ length: n }, newKey);
  const pre: Record<string, { balance?: bigint; code?: string }> = { [counter]: { code: COUNTER } };
  for (const k of keys) pre[k.address] = { balance: 10n ** 18n };
  const txs = keys.map((k) =>
    signTx(k, hot ? { nonce: 0n, to: counter } : { nonce: 0n, to: newKey().address, value: 1n }),
  );
  return parseBatch(batchFile({ pre, txs }));
}

/** `hot` counter bumps (enough to be judged hopeless) in front of another batch file's txs. */
function hotPrefixThen(file: Record<string, unknown>, hot: number): Record<string, unknown> {
  const f = file as { pre: Record<string, unknown>; txs: string[]; env: { gasLimit: string } };
  const keys = Array.from({ length: hot }, newKey);
  const pre = { ...f.pre, [counter]: { balance: '0x0', nonce: '0x0', code: COUNTER, storage: {} } };
  for (const k of keys)
    pre[k.address] = { balance: '0xde0b6b3a7640000', nonce: '0x0', code: '0x', storage: {} };
  const txs = keys.map((k) => signTx(k, { nonce: 0n, to: counter }));
  const gasLimit = `0x${(BigInt(f.env.gasLimit) + BigInt(hot) * 100_000n).toString(16)}`;
  return { ...f, env: { ...f.env, gasLimit }, pre, txs: [...txs, ...f.txs] };
}

async function run(batch: Batch): Promise<[Record<string, unknown>, StmStats]> {
  let stats: StmStats | undefined;
  const got = await outcome(() => runParallel(batch, { workers: 2, onStats: (s) => (stats = s) }));
  return [got, stats as StmStats];
}

describe('sequential fallback', () => {
  it('a hot-counter batch falls back and still equals the sequential result', {
    timeout: 120_000,
  }, async () => {
    const batch = batchOf(300, true);
    const [got, stats] = await run(batch);
    expect(stats.fallback).toBe(true);
    expect(stats.executions).toBeLessThan(400);
    expect(got).toEqual(await outcome(() => runSequential(batch)));
  });

  it('hazards after the switch: blocked reads, aborts and rewinds on the in-order worker still equal sequential', {
    timeout: 300_000,
  }, async () => {
    // A real switch starts at the first unsettled transaction, after every speculative
    // incarnation has come back, so the in-order run meets no hazard. Forced to start higher,
    // above speculative results that are unvalidated, stale or missing (aborted ones are
    // ESTIMATEs), it must meet them: read ESTIMATEs, fail validation, rewind, and still end
    // on the sequential result.
    const totals = { inOrderBlocked: 0, inOrderAborts: 0, rewinds: 0 };
    for (let i = 0; i < 3; i++) {
      const seed = randomSeed();
      const batch = parseBatch(hotPrefixThen(randomBatch(seed, 40), 80));
      const expected = await outcome(() => runSequential(batch));
      for (const workers of [1, 2, 4]) {
        for (const from of [40, 100]) {
          const label = `seed ${seed}, ${workers} workers, in order from ${from}`;
          let stats: StmStats | undefined;
          const got = await outcome(() =>
            runParallel(batch, {
              workers,
              onStats: (s) => (stats = s),
              testOnlyForceInOrder: { afterExecutions: 24, from },
            }),
          );
          const st = stats as StmStats;
          expect(got, label).toEqual(expected);
          expect(st.fallback, label).toBe(true);
          expect(st.rewinds, label).toBeGreaterThan(0);
          expect(st.inOrderBlocked + st.inOrderAborts, label).toBeGreaterThan(0);
          // bounded: no endless rewinding
          expect(st.inOrderExecutions, label).toBeLessThan(4 * batch.txs.length);
          totals.inOrderBlocked += st.inOrderBlocked;
          totals.inOrderAborts += st.inOrderAborts;
          totals.rewinds += st.rewinds;
        }
      }
    }
    // both kinds of hazard, not just one of them
    expect(totals.inOrderBlocked).toBeGreaterThan(0);
    expect(totals.inOrderAborts).toBeGreaterThan(0);
  });

  it('a real switch (not forced) on a hot prefix: the in-order queue still equals sequential', {
    timeout: 300_000,
  }, async () => {
    const seed = randomSeed();
    const batch = parseBatch(hotPrefixThen(randomBatch(seed, 60), 150));
    const expected = await outcome(() => runSequential(batch));
    for (const workers of [1, 2, 4]) {
      let stats: StmStats | undefined;
      const got = await outcome(() => runParallel(batch, { workers, onStats: (s) => (stats = s) }));
      if (workers === 2) expect(stats?.fallback, `seed ${seed}, ${workers} workers`).toBe(true);
      expect(got, `seed ${seed}, ${workers} workers`).toEqual(expected);
    }
  });

  it('an independent batch does not fall back', { timeout: 120_000 }, async () => {
    const batch = batchOf(300, false);
    const [got, stats] = await run(batch);
    expect(stats.fallback).toBe(false);
    expect(got).toEqual(await outcome(() => runSequential(batch)));
  });
});

describe('root through a MerkleStateManager (apply.ts)', () => {
  it('equals the one-pass root on random batches', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 6; i++) {
      const seed = randomSeed();
      const batch = parseBatch(randomBatch(seed, 50));
      const bulk = await outcome(() => runParallel(batch, { workers: 2, fallback: false }));
      const viaSm = await outcome(() =>
        runParallel(batch, { workers: 2, fallback: false, rootVia: 'stateManager' }),
      );
      expect(viaSm, `seed ${seed}`).toEqual(bulk);
    }
  });
});
