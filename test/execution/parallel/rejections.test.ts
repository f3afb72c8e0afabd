/** The parallel executor rejects exactly the batches the sequential one rejects, naming the same transaction. */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { outcome } from '../support/parity.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const k = newKey();
const other = newKey();
const to = newKey().address;
const pre = { [k.address]: { balance: 10n ** 20n }, [other.address]: { balance: 10n ** 20n } };
const filler = (n: number) =>
  Array.from({ length: n }, (_, i) => signTx(other, { nonce: BigInt(i), to, value: 1n }));

const cases: [string, Record<string, unknown>][] = [
  [
    'nonce gap behind independent work',
    batchFile({ pre, txs: [...filler(6), signTx(k, { nonce: 1n, to })] }),
  ],
  [
    'wrong chain id after a valid prefix',
    batchFile({ pre, txs: [...filler(4), signTx(k, { nonce: 0n, to, chainId: 1n })] }),
  ],
  [
    'blob envelope after a nonce gap: the earlier culprit wins',
    batchFile({ pre, txs: [signTx(k, { nonce: 5n, to }), ...filler(3), '0x03c0'] }),
  ],
  [
    'sender too poor for gas, funded only later',
    batchFile({ pre, txs: [signTx(newKey(), { nonce: 0n, to }), ...filler(3)] }),
  ],
  ['cumulative gas over the limit', batchFile({ pre, gasLimit: 100_000n, txs: filler(5) })],
  [
    'a valid batch',
    batchFile({ pre, txs: [...filler(5), signTx(k, { nonce: 0n, to, value: 3n })] }),
  ],
];

describe('rejection parity', () => {
  for (const [name, file] of cases) {
    it(name, async () => {
      const batch = parseBatch(file);
      const expected = await outcome(() => runSequential(batch));
      for (const workers of [1, 2, 4]) {
        expect(await outcome(() => runParallel(batch, { workers, fallback: false }))).toEqual(
          expected,
        );
      }
    });
  }
});
