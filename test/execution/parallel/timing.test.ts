/**
 * The batch timing the dashboard shows: the wall time, and what one thread would have needed
 * (the parts every run has, plus each transaction once). Then a real run records both.
 */
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import {
  batchTiming,
  closeWorkerPool,
  runParallel,
} from '../../../src/execution/parallel/index.ts';
import { newKey, signTx } from '../support/txs.ts';

describe('batchTiming', () => {
  it('counts the parts a sequential run also has, not the parallel-only ones', () => {
    // 100 ms wall: 30 ms handing out and speculating, 70 ms decoding and the root; the
    // transactions took 10 + 20 + 30 ms on their workers.
    expect(batchTiming({ wallMs: 100, parallelOnlyMs: 30, txMs: [10, 20, 30] })).toEqual({
      executionMs: 100,
      sequentialEstimateMs: 130,
    });
  });

  it('never reports zero (a speed-up is a ratio of the two)', () => {
    expect(batchTiming({ wallMs: 0.2, parallelOnlyMs: 0.2, txMs: [] })).toEqual({
      executionMs: 1,
      sequentialEstimateMs: 1,
    });
  });
});

describe('runParallel timing', () => {
  it('records the wall time and a sequential estimate with the transactions in it', async () => {
    const from = newKey();
    const to = newKey();
    const txs = Array.from({ length: 40 }, (_, i) =>
      signTx(from, {
        nonce: BigInt(i),
        to: to.address,
        value: 1n,
        gasLimit: 21_000n,
        maxFee: 7n,
        tip: 0n,
      }),
    );
    const batch = parseBatch({
      fork: 'cancun',
      env: {
        coinbase: `0x${'00'.repeat(20)}`,
        number: '0x1',
        timestamp: '0x1',
        gasLimit: '0x3b9aca00',
        baseFee: '0x7',
        prevRandao: `0x${'00'.repeat(32)}`,
        chainId: '0x1092',
      },
      pre: {
        [from.address]: {
          balance: '0xffffffffffffffffffff',
          nonce: '0x0',
          code: '0x',
          storage: {},
        },
      },
      txs,
    });
    try {
      const result = await runParallel(batch, { workers: 2 });
      expect(result.txCount).toBe(40);
      const t = result.timing!;
      expect(t.executionMs).toBeGreaterThanOrEqual(1);
      expect(t.sequentialEstimateMs).toBeGreaterThanOrEqual(1);
      // Both are wall-clock figures of the same run: neither can be off by orders of magnitude.
      expect(t.sequentialEstimateMs).toBeLessThan(t.executionMs * 20);
    } finally {
      await closeWorkerPool();
    }
  });
});
