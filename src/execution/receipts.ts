/**
 * Receipts and their trie root, built the same way for every executor from (type, status,
 * gas, logs) so that the parallel path, which learns cumulative gas only at the end, produces
 * byte-identical receipts to the sequential one.
 */

import type { Common } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import type { TransactionType } from '@ethereumjs/tx';
import { Bloom, encodeReceipt } from '@ethereumjs/vm';
import { type Keccak, TrieBuilder } from './trie.ts';
import type { Log, TxReceipt } from './types.ts';

export function logsBloom(logs: Log[], common: Common): Uint8Array {
  const bloom = new Bloom(undefined, common);
  for (const log of logs) {
    bloom.add(log.address);
    for (const topic of log.topics) bloom.add(topic);
  }
  return bloom.bitvector;
}

export function encodeTxReceipt(receipt: TxReceipt, common: Common): Uint8Array {
  return encodeReceipt(
    {
      status: receipt.status,
      cumulativeBlockGasUsed: receipt.cumulativeGasUsed,
      bitvector: logsBloom(receipt.logs, common),
      logs: receipt.logs.map((l) => [l.address, l.topics, l.data]),
    },
    receipt.txType as TransactionType,
  );
}

/** Yellow paper receipts root: an ordered trie keyed by RLP(index). */
export async function receiptsRoot(receipts: TxReceipt[], common: Common): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie({ common });
  for (let i = 0; i < receipts.length; i++) {
    await trie.put(RLP.encode(i), encodeTxReceipt(receipts[i] as TxReceipt, common));
  }
  return trie.root();
}

/** The same root built in one pass (trie.ts); the parallel executor's path. */
export function receiptsRootBulk(
  receipts: TxReceipt[],
  common: Common,
  keccak: Keccak,
): Uint8Array {
  return new TrieBuilder(keccak).root(
    receipts.map((r, i) => [RLP.encode(i), encodeTxReceipt(r, common)]),
  );
}

/** Fill in cumulative gas once every transaction's own gas is known. */
export function withCumulativeGas(receipts: Omit<TxReceipt, 'cumulativeGasUsed'>[]): TxReceipt[] {
  let total = 0n;
  return receipts.map((r) => {
    total += r.gasUsed;
    return { ...r, cumulativeGasUsed: total };
  });
}

export function toLog(raw: [Uint8Array, Uint8Array[], Uint8Array]): Log {
  return { address: raw[0], topics: raw[1], data: raw[2] };
}
