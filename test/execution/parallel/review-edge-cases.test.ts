/**
 * Review: hand-built batches for EVM hazards the random generator reaches rarely or never,
 * each run through runParallel with 1, 2 and 4 workers (speculation forced) against
 * runSequential. These are the cases the review checked and found in parity.
 */
import { generateAddress } from '@ethereumjs/util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';
import { COUNTER, FACTORY, initCode, READER, SUICIDAL_INIT, word } from '../support/contracts.ts';
import { outcome } from '../support/parity.ts';
import { type BatchSpec, batchFile, type Key, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const push20 = (addr: string): string => `73${addr.slice(2)}`;

async function expectParity(spec: BatchSpec): Promise<void> {
  const batch = parseBatch(batchFile(spec));
  const expected = await outcome(() => runSequential(batch));
  expect(expected.rejected, String(expected.reason)).toBeUndefined();
  for (const workers of [1, 2, 4]) {
    const got = await outcome(() => runParallel(batch, { workers, fallback: false }));
    expect(got, `${workers} workers`).toEqual(expected);
  }
}

function funded(n: number): Key[] {
  return Array.from({ length: n }, () => newKey());
}

function preOf(keys: Key[]): BatchSpec['pre'] {
  const pre: BatchSpec['pre'] = {};
  for (const k of keys) pre[k.address] = { balance: 10n ** 18n };
  return pre;
}

describe('review: EVM hazards in parity', () => {
  it('an empty pre account with storage is deleted by a touch, then refunded', async () => {
    const ks = funded(3);
    const e = `0x${'e7'.repeat(20)}`;
    await expectParity({
      pre: { ...preOf(ks), [e]: { storage: { '0x1': '0x5' } } },
      txs: [
        signTx(ks[0] as Key, { nonce: 0n, to: e, value: 0n }),
        signTx(ks[1] as Key, { nonce: 0n, to: e, value: 9n }),
        signTx(ks[2] as Key, { nonce: 0n, to: e, value: 0n }),
      ],
    });
  });

  it('an empty pre-existing coinbase: zero tips delete it, a later tip recreates it', async () => {
    const ks = funded(4);
    const coinbase = `0x${'cb'.repeat(20)}`;
    await expectParity({
      coinbase,
      pre: { ...preOf(ks), [coinbase]: {}, [`0x${'a5'.repeat(20)}`]: { code: READER } },
      txs: [
        signTx(ks[0] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 0n }),
        signTx(ks[1] as Key, {
          nonce: 0n,
          to: `0x${'a5'.repeat(20)}`,
          data: hex(word(coinbase)),
          tip: 0n,
        }),
        signTx(ks[2] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 3n }),
        signTx(ks[3] as Key, {
          nonce: 0n,
          to: `0x${'a5'.repeat(20)}`,
          data: hex(word(coinbase)),
          tip: 0n,
        }),
      ],
    });
  });

  it('a coinbase not in pre spends the fees it earned earlier in the batch', async () => {
    const ks = funded(3);
    const cb = newKey();
    await expectParity({
      coinbase: cb.address,
      pre: preOf(ks),
      txs: [
        signTx(ks[0] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 3n, maxFee: 10n }),
        signTx(ks[1] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 3n, maxFee: 10n }),
        // 126,000 wei of fees so far; gas 21,000 at 7 + 0 = 147,000 > 126,000, so tip it less
        signTx(cb, {
          nonce: 0n,
          to: ks[2]?.address,
          value: 1n,
          tip: 0n,
          maxFee: 5n,
          gasLimit: 21_000n,
        }),
        signTx(ks[2] as Key, { nonce: 0n, to: cb.address, value: 1000n, tip: 1n }),
      ],
      baseFee: 5n,
    });
  });

  it('EXTCODEHASH / EXTCODESIZE of a contract created earlier in the batch and of the coinbase', async () => {
    const ks = funded(3);
    const created = bytesToHex(generateAddress(hex((ks[0] as Key).address), new Uint8Array()));
    const probe = `0x${'9b'.repeat(20)}`;
    // slot 0 = EXTCODEHASH(created), slot 1 = EXTCODESIZE(created), slot 2 = EXTCODEHASH(COINBASE)
    const code = `0x${push20(created)}3f600055${push20(created)}3b600155413f60025500`;
    await expectParity({
      pre: { ...preOf(ks), [probe]: { code } },
      txs: [
        signTx(ks[1] as Key, { nonce: 0n, to: probe, tip: 2n }),
        signTx(ks[0] as Key, { nonce: 0n, data: hex(initCode(COUNTER)), gasLimit: 200_000n }),
        signTx(ks[2] as Key, { nonce: 0n, to: probe, tip: 2n }),
      ],
    });
  });

  it('CREATE2 redeploy after an in-transaction SELFDESTRUCT, then a collision', async () => {
    const ks = funded(4);
    const factory = `0x${'a4'.repeat(20)}`;
    const call = (salt: bigint, init: string): Uint8Array => hex(word(salt) + init.slice(2));
    await expectParity({
      pre: { ...preOf(ks), [factory]: { code: FACTORY } },
      txs: [
        signTx(ks[0] as Key, {
          nonce: 0n,
          to: factory,
          data: call(1n, SUICIDAL_INIT),
          gasLimit: 300_000n,
        }),
        signTx(ks[1] as Key, {
          nonce: 0n,
          to: factory,
          data: call(1n, SUICIDAL_INIT),
          gasLimit: 300_000n,
        }),
        signTx(ks[2] as Key, {
          nonce: 0n,
          to: factory,
          data: call(2n, initCode(COUNTER)),
          gasLimit: 300_000n,
        }),
        signTx(ks[3] as Key, {
          nonce: 0n,
          to: factory,
          data: call(2n, initCode(COUNTER)),
          gasLimit: 300_000n,
        }),
      ],
    });
  });

  it('a pre-existing contract SELFDESTRUCTs to the coinbase (EIP-6780 keeps it), then the coinbase is read', async () => {
    const ks = funded(3);
    const d = `0x${'d5'.repeat(20)}`;
    const r = `0x${'a5'.repeat(20)}`;
    await expectParity({
      pre: { ...preOf(ks), [d]: { code: '0x41ff', balance: 777n }, [r]: { code: READER } },
      txs: [
        signTx(ks[0] as Key, { nonce: 0n, to: d, tip: 1n }),
        signTx(ks[1] as Key, { nonce: 0n, to: r, data: hex(word(d)), tip: 2n }),
        signTx(ks[2] as Key, { nonce: 0n, to: d, value: 5n, tip: 0n }),
      ],
    });
  });

  it('storage set, cleared (refund) and set again across a nonce chain', async () => {
    const [k] = funded(1) as [Key];
    const setter = `0x${'a3'.repeat(20)}`;
    const set = (slot: bigint, v: bigint): Uint8Array => hex(word(slot) + word(v));
    await expectParity({
      pre: {
        ...preOf([k]),
        [setter]: { code: '0x602035600035550000', storage: { '0x1': '0x11' } },
      },
      txs: [
        signTx(k, { nonce: 0n, to: setter, data: set(1n, 0n) }),
        signTx(k, { nonce: 1n, to: setter, data: set(1n, 7n) }),
        signTx(k, { nonce: 2n, to: setter, data: set(1n, 7n) }),
        signTx(k, { nonce: 3n, to: setter, data: set(1n, 0n) }),
        signTx(k, { nonce: 4n, to: setter, data: set(2n, 3n) }),
      ],
    });
  });

  it('more than 256 transactions: 1-, 2- and 3-byte receipt trie keys (RLP of the index)', {
    timeout: 120_000,
  }, async () => {
    const ks = funded(260);
    await expectParity({
      pre: preOf(ks),
      txs: ks.map((k) => signTx(k, { nonce: 0n, to: newKey().address, value: 3n })),
    });
  });

  it('a contract coinbase, first reached after an inner call, reads SELFBALANCE and pays out of its fees', async () => {
    const ks = funded(4);
    const coinbase = `0x${'cc'.repeat(20)}`;
    const proxy = `0x${'9e'.repeat(20)}`;
    // coinbase: SSTORE(0, SELFBALANCE); CALL(CALLER, value 1) POP; STOP
    const cbCode = '0x47600055600060006000600060013361fffff15000';
    // proxy: CALL(identity) POP; CALL(COINBASE, value 0) POP; STOP
    const proxyCode = `0x60006000600060006000600461fffff150600060006000600060004161fffff15000`;
    await expectParity({
      coinbase,
      pre: { ...preOf(ks), [coinbase]: { code: cbCode }, [proxy]: { code: proxyCode } },
      txs: [
        signTx(ks[0] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 2n }),
        signTx(ks[1] as Key, { nonce: 0n, to: proxy, tip: 1n }),
        signTx(ks[2] as Key, { nonce: 0n, to: newKey().address, value: 1n, tip: 3n }),
        signTx(ks[3] as Key, { nonce: 0n, to: proxy, tip: 0n }),
      ],
    });
  });
});
