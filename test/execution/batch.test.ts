import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/execution/batch.ts';
import { BatchRejectedError } from '../../src/execution/errors.ts';
import { runSequential } from '../../src/execution/sequential.ts';
import { InvalidInputError } from '../../src/shared/errors.ts';
import { batchFile, newKey, signTx } from './support/txs.ts';

const rich = 10n ** 20n;

function rejection(p: Promise<unknown>): Promise<BatchRejectedError> {
  return p.then(
    () => {
      throw new Error('batch was accepted');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(BatchRejectedError);
      return e as BatchRejectedError;
    },
  );
}

interface BatchJson {
  fork: unknown;
  env: Record<string, unknown>;
  pre: Record<string, unknown>;
  txs: unknown;
}

describe('parseBatch names the offending field', () => {
  const valid = batchFile({ pre: {}, txs: [] });
  const cases: [string, (b: BatchJson) => void, string][] = [
    [
      'typo in an env field is not silently defaulted',
      (b) => {
        b.env.basefee = '0x1';
      },
      'env.basefee',
    ],
    [
      'decimal quantity',
      (b) => {
        b.env.number = '16';
      },
      'env.number',
    ],
    [
      'short coinbase',
      (b) => {
        b.env.coinbase = '0x1234';
      },
      'env.coinbase',
    ],
    [
      'missing chain id',
      (b) => {
        delete b.env.chainId;
      },
      'env.chainId',
    ],
    [
      'wrong fork',
      (b) => {
        b.fork = 'prague';
      },
      'fork',
    ],
    [
      'bad pre address',
      (b) => {
        b.pre['0xzz'] = {};
      },
      'pre.0xzz',
    ],
    [
      'slot value over 256 bits',
      (b) => {
        b.pre[`0x${'11'.repeat(20)}`] = { storage: { '0x1': `0x1${'0'.repeat(64)}` } };
      },
      'storage.0x1',
    ],
    [
      'odd-length tx hex',
      (b) => {
        b.txs = ['0x123'];
      },
      'txs[0]',
    ],
    [
      'txs not an array',
      (b) => {
        b.txs = '0x00';
      },
      'txs',
    ],
  ];
  for (const [name, mutate, field] of cases) {
    it(name, () => {
      const b = structuredClone(valid) as unknown as BatchJson;
      mutate(b);
      expect(() => parseBatch(b)).toThrow(InvalidInputError);
      expect(() => parseBatch(b)).toThrow(field);
    });
  }

  it('accepts the documented shape and keeps empty accounts of pre', () => {
    const b = parseBatch(batchFile({ pre: { [`0x${'22'.repeat(20)}`]: {} }, txs: [] }));
    expect(b.pre.size).toBe(1);
  });
});

describe('transaction envelopes', () => {
  it('runs legacy (with and without EIP-155), EIP-2930 and EIP-1559 transactions', async () => {
    const k = newKey();
    const to = newKey().address;
    const txs = [
      signTx(k, { type: 0, unprotected: true, nonce: 0n, to, value: 1n }),
      signTx(k, { type: 0, nonce: 1n, to, value: 1n }),
      signTx(k, { type: 1, nonce: 2n, to, value: 1n }),
      signTx(k, { type: 2, nonce: 3n, to, value: 1n }),
    ];
    const r = await runSequential(
      parseBatch(batchFile({ pre: { [k.address]: { balance: rich } }, txs })),
    );
    expect(r.receipts.map((x) => [x.txType, x.status])).toEqual([
      [0, 1],
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(r.gasUsed).toBe(84_000n);
  });

  it('blob transactions are rejected with the blob reason', async () => {
    const b = parseBatch(batchFile({ pre: {}, txs: ['0x03f8'] }));
    const e = await rejection(runSequential(b));
    expect(e.index).toBe(0);
    expect(e.reason).toMatch(/blob/);
  });

  it('set-code and unknown types are rejected with a reason', async () => {
    for (const [raw, re] of [
      ['0x04c0', /7702/],
      ['0x05c0', /unknown transaction type 0x05/],
    ] as const) {
      const e = await rejection(runSequential(parseBatch(batchFile({ pre: {}, txs: [raw] }))));
      expect(e.reason).toMatch(re);
    }
  });
});

describe('a batch with an invalid transaction is rejected whole, naming it', () => {
  const k = newKey();
  const to = newKey().address;
  const pre = { [k.address]: { balance: rich } };
  const ok0 = signTx(k, { nonce: 0n, to, value: 1n });

  it('replayed signature for another chain (wrong chain id)', async () => {
    const e = await rejection(
      runSequential(
        parseBatch(batchFile({ pre, txs: [ok0, signTx(k, { nonce: 1n, to, chainId: 1n })] })),
      ),
    );
    expect(e.index).toBe(1);
    expect(e.reason).toMatch(/chain/i);
  });

  it('tampered signature (sender cannot be recovered or is someone poor)', async () => {
    const raw = signTx(k, { nonce: 1n, to });
    const tampered = `${raw.slice(0, -4)}${raw.slice(-4) === 'ffff' ? '0001' : 'ffff'}`;
    const e = await rejection(runSequential(parseBatch(batchFile({ pre, txs: [ok0, tampered] }))));
    expect(e.index).toBe(1);
  });

  it('nonce gap', async () => {
    const e = await rejection(
      runSequential(parseBatch(batchFile({ pre, txs: [ok0, signTx(k, { nonce: 2n, to })] }))),
    );
    expect(e.index).toBe(1);
    expect(e.reason).toMatch(/nonce/);
  });

  it('sender cannot pay for gas', async () => {
    const poor = newKey();
    const e = await rejection(
      runSequential(
        parseBatch(
          batchFile({
            pre: { ...pre, [poor.address]: { balance: 1000n } },
            txs: [ok0, signTx(poor, { nonce: 0n, to })],
          }),
        ),
      ),
    );
    expect(e.index).toBe(1);
    expect(e.reason).toMatch(/enough funds/);
  });

  it('one transaction asks for more gas than the batch limit', async () => {
    const e = await rejection(
      runSequential(
        parseBatch(
          batchFile({
            pre,
            gasLimit: 50_000n,
            txs: [signTx(k, { nonce: 0n, to, gasLimit: 60_000n })],
          }),
        ),
      ),
    );
    expect(e.index).toBe(0);
    expect(e.reason).toMatch(/batch gas limit/);
  });

  it('cumulative gas over the batch limit', async () => {
    const txs = [0n, 1n, 2n].map((nonce) => signTx(k, { nonce, to, gasLimit: 30_000n }));
    const e = await rejection(
      runSequential(parseBatch(batchFile({ pre, gasLimit: 70_000n, txs }))),
    );
    expect(e.index).toBe(2);
    expect(e.reason).toMatch(/gas left/);
  });

  it('a revert and an out-of-gas are results, not rejections', async () => {
    const reverter = `0x${'33'.repeat(20)}`;
    const r = await runSequential(
      parseBatch(
        batchFile({
          pre: { ...pre, [reverter]: { code: '0x60006000fd' } },
          txs: [
            signTx(k, { nonce: 0n, to: reverter }),
            signTx(k, { nonce: 1n, to: reverter, gasLimit: 21_002n }),
          ],
        }),
      ),
    );
    expect(r.receipts.map((x) => x.status)).toEqual([0, 0]);
    expect(r.receipts[1]?.gasUsed).toBe(21_002n);
  });
});
