/**
 * The one-pass receipts trie (trie.ts, used by the parallel executor and by `--mode sequential`)
 * against @ethereumjs/mpt's trie, entry by entry, for random receipt sets of every size class a
 * trie shape depends on (empty, a single leaf, branch boundaries at 16 and 128, 1,000).
 */
import { describe, expect, it } from 'vitest';
import { makeCommon } from '../../src/execution/crypto.ts';
import { receiptsRoot, receiptsRootBulk, withCumulativeGas } from '../../src/execution/receipts.ts';
import type { Log, TxReceipt } from '../../src/execution/types.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function bytes(r: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function randomReceipts(count: number, seed: number): TxReceipt[] {
  const r = rng(seed);
  const partial = Array.from({ length: count }, () => {
    const logs: Log[] = Array.from({ length: Math.floor(r() * 3) }, () => ({
      address: bytes(r, 20),
      topics: Array.from({ length: Math.floor(r() * 4) }, () => bytes(r, 32)),
      data: bytes(r, Math.floor(r() * 80)),
    }));
    return {
      txType: Math.floor(r() * 3),
      status: (r() < 0.9 ? 1 : 0) as 0 | 1,
      gasUsed: 21_000n + BigInt(Math.floor(r() * 100_000)),
      logs,
    };
  });
  return withCumulativeGas(partial);
}

describe('receipts root: the one-pass trie equals @ethereumjs/mpt', () => {
  const common = makeCommon(4242n, 'fast');
  const keccak = common.customCrypto.keccak256;
  for (const count of [0, 1, 2, 15, 16, 17, 127, 128, 129, 300, 1000]) {
    it(`${count} receipts`, async () => {
      if (keccak === undefined) throw new Error('the fast profile has no keccak');
      for (const seed of [1, 2, 3]) {
        const receipts = randomReceipts(count, seed * 1000 + count);
        expect(Buffer.from(receiptsRootBulk(receipts, common, keccak)).toString('hex')).toBe(
          Buffer.from(await receiptsRoot(receipts, common)).toString('hex'),
        );
      }
    });
  }
});
