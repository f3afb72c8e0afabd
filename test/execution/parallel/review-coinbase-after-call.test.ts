/**
 * Review finding: the worker marks the "post phase" (fee payment, where a coinbase read only
 * needs emptiness) by wrapping `vm.evm.runCall`. But the interpreter runs every nested CALL and
 * CREATE through that same `this._evm.runCall`, so `postPhase` turns true as soon as the first
 * inner call returns. A `BALANCE(COINBASE)` after any inner call then sees the fee-less stored
 * balance (or a placeholder 1) instead of the balance with every earlier fee, and only
 * `feeNonZero` is recorded, so validation cannot catch it.
 * (src/execution/parallel/worker.ts, the runCall wrapper; versionedState.ts coinbaseAccount)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { asm } from '../support/contracts.ts';
import { outcome } from '../support/parity.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

/** CALL the identity precompile (any inner call will do), then slot 0 = BALANCE(COINBASE). */
const CALL_THEN_READ = asm(`
  0x00 0x00 0x00 0x00 0x00 0x04 0xffff CALL POP
  COINBASE BALANCE 0x00 SSTORE STOP`);
/** The same read without the inner call: the control case. */
const READ_ONLY = asm('COINBASE BALANCE 0x00 SSTORE STOP');

const payer = newKey();
const reader = newKey();
const CONTRACT = `0x${'c4'.repeat(20)}`;

function batchWith(code: string) {
  return parseBatch(
    batchFile({
      pre: {
        [payer.address]: { balance: 10n ** 18n },
        [reader.address]: { balance: 10n ** 18n },
        [CONTRACT]: { code },
      },
      txs: [
        // pays the coinbase a priority fee of 21000 * 2
        signTx(payer, { nonce: 0n, to: newKey().address, value: 1n, tip: 2n }),
        signTx(reader, { nonce: 0n, to: CONTRACT, tip: 0n }),
      ],
    }),
  );
}

describe('review: coinbase balance read after an inner call', () => {
  it('control: without an inner call the read sees the earlier fee', async () => {
    const batch = batchWith(READ_ONLY);
    const expected = await outcome(() => runSequential(batch));
    for (const workers of [1, 2]) {
      expect(await outcome(() => runParallel(batch, { workers, fallback: false }))).toEqual(
        expected,
      );
    }
  });

  // Fixed: the worker counts runCall depth; only the top-level return starts the fee phase.
  it('after an inner CALL the read still sees the earlier fee', async () => {
    const batch = batchWith(CALL_THEN_READ);
    const expected = await outcome(() => runSequential(batch));
    for (const workers of [1, 2]) {
      expect(await outcome(() => runParallel(batch, { workers, fallback: false }))).toEqual(
        expected,
      );
    }
  });
});
