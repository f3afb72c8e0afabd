/**
 * The in-order fallback's guard against rewinding without end (scheduler.ts): a transaction
 * that keeps coming back blocked must fail the batch with a clear error, not loop forever.
 * Run on fake workers, since real ones cannot be made to misbehave this way.
 */
import { describe, expect, it } from 'vitest';
import { NO_ACCOUNT } from '../../../src/execution/parallel/keys.ts';
import type { WorkerHandle } from '../../../src/execution/parallel/pool.ts';
import type { FromWorker, ToWorker } from '../../../src/execution/parallel/protocol.ts';
import { BlockStm } from '../../../src/execution/parallel/scheduler.ts';

/** Answers every execution at once, empty; `blockedForever` always reports a blocked read. */
function fakeWorker(blockedForever: number): { handle: WorkerHandle; execs: () => number } {
  let listener: ((msg: FromWorker) => void) | undefined;
  let execs = 0;
  const answer = (msg: ToWorker): void => {
    if (msg.t === 'many') for (const m of msg.msgs) answer(m);
    if (msg.t !== 'exec') return;
    execs++;
    const { tx, inc } = msg;
    setImmediate(() =>
      listener?.(
        tx === blockedForever
          ? { t: 'done', tx, inc, blockedBy: tx - 1 }
          : { t: 'done', tx, inc, reads: { keys: [], versions: new Int32Array(0) }, writes: [] },
      ),
    );
  };
  const handle = {
    failure: undefined,
    listen: (fn: ((msg: FromWorker) => void) | undefined) => {
      listener = fn;
    },
    post: answer,
  } as unknown as WorkerHandle;
  return { handle, execs: () => execs };
}

describe('in-order fallback', () => {
  it('a transaction blocked on every run fails the batch loudly instead of rewinding forever', async () => {
    const n = 10;
    const { handle, execs } = fakeWorker(1);
    const stm = new BlockStm(n, [handle], '00'.repeat(20), NO_ACCOUNT, true, {
      afterExecutions: 0,
      from: 0,
    });
    await expect(stm.run()).rejects.toThrow(
      /^in-order fallback: \d+ executions for 10 transactions \(\d+ rewinds\) without settling; stopped instead of rewinding without end$/,
    );
    expect(stm.stats.rewinds).toBeGreaterThan(1);
    expect(execs()).toBeLessThanOrEqual(4 * n + 64);
  });

  it('the same fake workers without the blocked transaction finish', async () => {
    const { handle } = fakeWorker(-1);
    const stm = new BlockStm(10, [handle], '00'.repeat(20), NO_ACCOUNT, true, {
      afterExecutions: 0,
      from: 0,
    });
    await stm.run();
    expect(stm.stats).toMatchObject({ fallback: true, inOrderExecutions: 10, rewinds: 0 });
  });
});
