/**
 * Benchmark batches (issue 3): `transfers` (independent), `erc20` (distinct pairs), `amm`
 * (swaps over 16 pools), `hotspot` (every transaction writes one slot), `mixed` (about 40% of
 * the transactions send tokens to one of 8 shared recipients, so they depend on each other),
 * `deposits` (every transaction pays ether into one of 4 exchange deposit addresses: each a
 * read-modify-write of a shared balance for the sequential EVM, commuting credits here),
 * `counter` (the hot spot as users mean it: every transaction reads one storage slot and
 * writes it plus one, so each depends on the one before; the same transactions as `hotspot`,
 * measured as a user runs them, see execution.section.ts), `counter-middle` (a counter run
 * between two runs of independent token transfers).
 */
import { parseBatch } from '../src/execution/batch.ts';
import type { Batch } from '../src/execution/types.ts';
import { COUNTER, POOL, TOKEN, word } from '../test/execution/support/contracts.ts';
import {
  type BatchSpec,
  batchFile,
  type Key,
  newKey,
  signTx,
} from '../test/execution/support/txs.ts';

export type Workload =
  | 'transfers'
  | 'erc20'
  | 'amm'
  | 'hotspot'
  | 'counter'
  | 'counter-middle'
  | 'mixed'
  | 'deposits';

const TOKEN_ADDR = `0x${'a1'.repeat(20)}`;
const COUNTER_ADDR = `0x${'a2'.repeat(20)}`;
const poolAddr = (i: number): string => `0x${'b0'.repeat(19)}${i.toString(16).padStart(2, '0')}`;
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

export function makeWorkload(kind: Workload, n: number): Batch {
  return parseBatch(makeWorkloadFile(kind, n));
}

/** The batch as a batch file object (what a sequencer would send). */
export function makeWorkloadFile(kind: Workload, n: number): Record<string, unknown> {
  const senders: Key[] = Array.from({ length: n }, newKey);
  const pre: BatchSpec['pre'] = {};
  for (const k of senders) pre[k.address] = { balance: 10n ** 20n };
  const tokenStorage: Record<string, string> = {};
  for (const k of senders) tokenStorage[k.address] = '0x3635c9adc5dea00000';
  pre[TOKEN_ADDR] = { code: TOKEN, storage: tokenStorage };
  pre[COUNTER_ADDR] = { code: COUNTER };
  for (let p = 0; p < 16; p++)
    pre[poolAddr(p)] = { code: POOL, storage: { '0x0': '0xe8d4a51000', '0x1': '0xe8d4a51000' } };
  const shared = Array.from({ length: 8 }, () => newKey().address);
  for (const address of shared.slice(0, 4)) pre[address] = { balance: 10n ** 18n };
  const txs = senders.map((k, i) => {
    const gasLimit = 100_000n;
    switch (kind) {
      case 'transfers':
        return signTx(k, { nonce: 0n, to: newKey().address, value: 1000n, gasLimit: 21_000n });
      case 'erc20':
        return signTx(k, {
          nonce: 0n,
          to: TOKEN_ADDR,
          data: hex(word(newKey().address) + word(7n)),
          gasLimit,
        });
      case 'amm':
        return signTx(k, {
          nonce: 0n,
          to: poolAddr(i % 16),
          data: hex(word(BigInt(1000 + i))),
          gasLimit,
        });
      case 'hotspot':
      case 'counter':
        return signTx(k, { nonce: 0n, to: COUNTER_ADDR, gasLimit });
      case 'counter-middle':
        // a fully dependent run between two runs of independent token transfers
        return i >= n / 3 && i < (2 * n) / 3
          ? signTx(k, { nonce: 0n, to: COUNTER_ADDR, gasLimit })
          : signTx(k, {
              nonce: 0n,
              to: TOKEN_ADDR,
              data: hex(word(newKey().address) + word(7n)),
              gasLimit,
            });
      case 'mixed': {
        const to = i % 5 < 2 ? (shared[i % 8] as string) : newKey().address;
        return signTx(k, { nonce: 0n, to: TOKEN_ADDR, data: hex(word(to) + word(7n)), gasLimit });
      }
      case 'deposits':
        return signTx(k, {
          nonce: 0n,
          to: shared[i % 4] as string,
          value: 10n ** 15n + BigInt(i),
          gasLimit: 21_000n,
        });
      default:
        throw new Error(`unknown workload ${kind}`);
    }
  });
  return batchFile({ pre, txs, gasLimit: BigInt(n) * 100_000n });
}
