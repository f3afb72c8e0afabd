/**
 * Review finding: transient storage (EIP-1153) leaks between incarnations on a worker.
 * An incarnation that reads an ESTIMATE stops by throwing DependencyError from inside the
 * interpreter. That is not an EVMError, so it unwinds every frame without the depth-0
 * `postMessageCleanup()` that clears `evm.transientStorage`; the worker's VM is reused, so the
 * next transaction it runs starts with the aborted incarnation's TSTOREs visible to TLOAD.
 * Transient storage is not part of any read set, so validation never catches it.
 * (src/execution/parallel/worker.ts `execute`: nothing resets vm.evm.transientStorage)
 *
 * Contract T: empty calldata = "trap": TSTORE(0, 1), then bump the hot counter in slot 0
 * (so it often reads an ESTIMATE after the TSTORE); non-empty calldata = "victim":
 * SSTORE(slot CALLER, TLOAD(0)), which is always 0 sequentially (a no-op SSTORE) and a
 * 0 -> 1 SSTORE costing 19,900 more gas when it sees a leaked value.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { outcome } from '../support/parity.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

// 0x00 CALLDATASIZE PUSH2 victim JUMPI
// 0x05 trap:   PUSH1 1 PUSH1 0 TSTORE  PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP
// 0x14 victim: JUMPDEST PUSH1 0 TLOAD CALLER SSTORE STOP
const TRAP_OR_VICTIM = '0x3661001457600160005d600054600101600055005b60005c335500';
const CONTRACT = `0x${'7e'.repeat(20)}`;

function trapsAndVictims(n: number): Batch {
  const keys = Array.from({ length: n }, () => newKey());
  const pre: Record<string, { balance?: bigint; code?: string }> = {
    [CONTRACT]: { code: TRAP_OR_VICTIM },
  };
  for (const k of keys) pre[k.address] = { balance: 10n ** 18n };
  const txs = keys.map((k, i) =>
    signTx(k, { nonce: 0n, to: CONTRACT, data: i % 2 === 0 ? undefined : new Uint8Array([1]) }),
  );
  return parseBatch(batchFile({ pre, txs }));
}

describe('review: transient storage of an aborted incarnation', () => {
  // Fixed: the worker clears transient storage (and its checkpoint stack) before every incarnation.
  it('does not leak into the next transaction on the same worker', {
    timeout: 300_000,
  }, async () => {
    const batch = trapsAndVictims(80);
    const expected = await outcome(() => runSequential(batch));
    let stopped = 0;
    for (let round = 0; round < 6; round++) {
      let dependencies = 0;
      const got = await outcome(() =>
        runParallel(batch, {
          workers: 4,
          fallback: false,
          onStats: (s) => {
            dependencies = s.dependencies;
          },
        }),
      );
      expect(got, `round ${round}, ${dependencies} dependencies`).toEqual(expected);
      stopped += dependencies;
    }
    // the hazard needs incarnations stopped by an ESTIMATE after their TSTORE
    expect(stopped, 'no incarnation was stopped by an ESTIMATE').toBeGreaterThan(0);
  });
});
