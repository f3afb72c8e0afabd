/**
 * Review: random batches aimed at the hazards behind findings 1 and 2 of the review
 * (/work/notes/review-parallel.md), mixed with each other: coinbase balance reads after inner
 * calls (a proxy, a contract coinbase, constructors), value sent to the coinbase from
 * contracts, in-constructor SELFDESTRUCT to the coinbase, zero tips on an empty coinbase,
 * transient-storage traps that read a hot counter after a TSTORE, EIP-161 touches.
 * Run against the pre-fix worker (af1d2c4) it fails within seconds; 738 batches passed at
 * d7e4c8c. Seeds come from crypto.getRandomValues and are printed on failure.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { asm, COUNTER, initCode } from '../support/contracts.ts';
import { prng, randomSeed } from '../support/generator.ts';
import { outcome } from '../support/parity.ts';
import {
  type BatchSpec,
  batchFile,
  type Key,
  newKey,
  signTx,
  type TxSpec,
} from '../support/txs.ts';

afterAll(closeWorkerPool);

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const at = (byte: string): string => `0x${byte.repeat(20)}`;
const PROXY = at('91');
const TRAP = at('92');
const CONTRACT_COINBASE = at('93');
const COUNTER_AT = at('94');
const EMPTY = at('95');

/** CALL(identity); SSTORE(CALLER, BALANCE(COINBASE)); CALL(COINBASE, value = CALLVALUE) */
const PROXY_CODE = asm(`0x00 0x00 0x00 0x00 0x00 0x04 0xffff CALL POP
  COINBASE BALANCE CALLER SSTORE
  0x00 0x00 0x00 0x00 CALLVALUE COINBASE 0xffff CALL POP STOP`);
/** empty calldata: TSTORE(0,1) then bump slot 0; else SSTORE(CALLER, TLOAD(0)) */
const TRAP_CODE = '0x3661001457600160005d600054600101600055005b60005c335500';
/** SSTORE(1, SELFBALANCE); CALL(CALLER, value 1) */
const COINBASE_CODE = '0x47600155600060006000600060013361fffff15000';
/** a constructor that writes a slot and self-destructs to the coinbase (EIP-6780 deletes it) */
const SUICIDE_TO_COINBASE = asm('0x07 0x03 SSTORE COINBASE SELFDESTRUCT');
/** a constructor that stores BALANCE(COINBASE), deploying a counter */
const READING_CONSTRUCTOR = initCode(COUNTER, 'COINBASE BALANCE 0x01 SSTORE');

function fuzzBatch(seed: number): Batch {
  const rand = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const keys = Array.from({ length: 10 }, () => newKey());
  const coinbase =
    rand() < 0.5 ? CONTRACT_COINBASE : rand() < 0.5 ? (keys[0] as Key).address : at('c7');
  const pre: BatchSpec['pre'] = {
    [PROXY]: { code: PROXY_CODE },
    [TRAP]: { code: TRAP_CODE },
    [COUNTER_AT]: { code: COUNTER },
    [EMPTY]: {},
  };
  if (coinbase === CONTRACT_COINBASE) pre[coinbase] = { code: COINBASE_CODE };
  else if (coinbase === at('c7') && rand() < 0.3) pre[coinbase] = {};
  for (const k of keys) pre[k.address] = { balance: 10n ** 19n };
  const actions: (() => Omit<TxSpec, 'nonce'>)[] = [
    () => ({ to: PROXY, value: BigInt(Math.floor(rand() * 3)) }),
    () => ({ to: TRAP, data: rand() < 0.5 ? undefined : new Uint8Array([1]) }),
    () => ({ to: coinbase, value: BigInt(Math.floor(rand() * 2)) }),
    () => ({ to: COUNTER_AT }),
    () => ({ data: hex(SUICIDE_TO_COINBASE), value: 5n, gasLimit: 200_000n }),
    () => ({ data: hex(READING_CONSTRUCTOR), gasLimit: 250_000n }),
    () => ({ to: EMPTY, value: 0n }),
    () => ({ to: pick(keys).address, value: 1000n }),
  ];
  const nonces = new Map<string, bigint>();
  const txs: string[] = [];
  const size = 30 + Math.floor(rand() * 60);
  while (txs.length < size) {
    const k = pick(keys);
    const nonce = nonces.get(k.address) ?? 0n;
    nonces.set(k.address, nonce + 1n);
    const tip = BigInt(Math.floor(rand() * 3));
    const type = pick([0, 1, 2]) as 0 | 1 | 2;
    txs.push(signTx(k, { ...pick(actions)(), nonce, tip, maxFee: 10n + tip, type }));
  }
  return parseBatch(batchFile({ pre, txs, coinbase }));
}

describe('review: random batches on coinbase reads and transient storage', () => {
  it('20 seeds x 2/4 workers equal runSequential', { timeout: 300_000 }, async () => {
    for (let i = 0; i < 20; i++) {
      const seed = randomSeed();
      const batch = fuzzBatch(seed);
      const expected = await outcome(() => runSequential(batch));
      expect(expected.rejected, `seed ${seed}: ${String(expected.reason)}`).toBeUndefined();
      for (const workers of [2, 4]) {
        const got = await outcome(() => runParallel(batch, { workers, fallback: false }));
        expect(got, `seed ${seed}, ${workers} workers`).toEqual(expected);
      }
    }
  });
});
