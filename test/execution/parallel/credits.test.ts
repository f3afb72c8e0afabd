/**
 * Deferred balance credits (keys.ts): value sent to an account whose balance the sender never
 * looks at is written as "plus this", so transfers into one account commute instead of
 * chaining. A transaction that reads the balance sums every credit below it. A sum past
 * 2^256 - 1, which the EVM refuses at the moment of the credit, makes the executor re-run the
 * batch without deferred credits. Every case is checked against runSequential.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { AccessListMismatchError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { isCredit } from '../../../src/execution/parallel/keys.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { asm, BALANCER, REVERTER, word } from '../support/contracts.ts';
import { summary } from '../support/parity.ts';
import { batchFile, type Key, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

/** BALANCE(x) only: a coinbase read would make every fee an extra dependency */
const READER_AT = `0x${'b5'.repeat(20)}`;
const MAX = 2n ** 256n - 1n;
const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const bare = (address: string) => address.slice(2).toLowerCase();

function batchOf(senders: Key[], recipient: { address: string; balance: bigint }, txs: string[]) {
  const pre: Parameters<typeof batchFile>[0]['pre'] = {
    [READER_AT]: { code: BALANCER },
    [recipient.address]: { balance: recipient.balance },
  };
  for (const k of senders) pre[k.address] = { balance: 10n ** 18n };
  return parseBatch(batchFile({ pre, txs }));
}

const pay = (k: Key, to: string, value: bigint) => signTx(k, { nonce: 0n, to, value });
const readBalanceOf = (k: Key, who: string) =>
  signTx(k, { nonce: 0n, to: READER_AT, data: hex(word(who)) });

async function parity(batch: Batch): Promise<AccessList> {
  const sequential = summary(await runSequential(batch));
  for (const workers of [1, 2, 4]) {
    const parallel = await runParallel(batch, { workers, fallback: false });
    expect(summary(parallel), `${workers} workers`).toEqual(sequential);
  }
  return (await runParallel(batch, { workers: 2, fallback: false })).accessList as AccessList;
}

describe('deferred balance credits', () => {
  it('transfers into one account commute; a later balance read sums them all', async () => {
    const senders = Array.from({ length: 30 }, () => newKey());
    const recipient = { address: newKey().address, balance: 1_000n };
    const txs = senders.map((k, i) =>
      i === 20 ? readBalanceOf(k, recipient.address) : pay(k, recipient.address, BigInt(100 + i)),
    );
    const list = await parity(batchOf(senders, recipient, txs));
    const b = `b${bare(recipient.address)}`;
    list.forEach((entry, tx) => {
      if (tx === 20) {
        expect(entry.reads).toContain(b); // BALANCE(recipient): every earlier credit
        return;
      }
      expect(entry.reads, `transfer ${tx}`).not.toContain(b);
      expect(entry.writes, `transfer ${tx}`).toContainEqual([b, { credit: BigInt(100 + tx) }]);
    });
  });

  it('a forged credit amount in the access list is caught', async () => {
    const senders = Array.from({ length: 6 }, () => newKey());
    const recipient = { address: newKey().address, balance: 0n };
    const txs = senders.map((k, i) =>
      i === 5 ? readBalanceOf(k, recipient.address) : pay(k, recipient.address, 7n),
    );
    const batch = batchOf(senders, recipient, txs);
    const list = await parity(batch);
    const lying = structuredClone(list);
    const w = lying[2]?.writes.find(([, v]) => isCredit(v)) as [string, { credit: bigint }];
    w[1] = { credit: w[1].credit + 10n ** 18n };
    const err = await verifyWithAccessList(batch, lying, { workers: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessListMismatchError);
    expect((err as AccessListMismatchError).index).toBe(2);
  });

  it('credits that overflow a balance at the end of the batch: re-run without them', async () => {
    const [a, b] = [newKey(), newKey()];
    const recipient = { address: newKey().address, balance: MAX - 10n };
    // the second transfer overflows: the EVM fails that call, and only that one
    const batch = batchOf([a, b] as Key[], recipient, [
      pay(a as Key, recipient.address, 5n),
      pay(b as Key, recipient.address, 6n),
    ]);
    await parity(batch);
    const statuses = (await runSequential(batch)).receipts.map((r) => r.status);
    expect(statuses).toEqual([1, 0]);
  });

  it('an overflowing credit to a callee that then reverts: re-run without credits', async () => {
    // The EVM fails the credit and never runs the callee; a deferred credit lets the callee
    // run, and its revert drops the credit unsummed unless the revert checks it.
    const a = newKey();
    const callee = `0x${'c7'.repeat(20)}`;
    const batch = parseBatch(
      batchFile({
        pre: {
          [a.address]: { balance: 10n ** 18n },
          [callee]: { code: REVERTER, balance: MAX - 10n },
        },
        txs: [signTx(a, { nonce: 0n, to: callee, value: 100n, gasLimit: 100_000n })],
      }),
    );
    await parity(batch);
    expect((await runSequential(batch)).gasUsed).toBe(21_000n);
  });

  it('a credit to a balance the transaction already read is not deferred: no re-run', async () => {
    // BALANCE(full) and then CALL(full, value 1): the EVM refuses the credit on the spot.
    // Deferred, it would only be found at the end, and the whole batch would re-run without
    // credits, so that the unrelated transfer below would no longer be one.
    const [a, b] = [newKey(), newKey()];
    const full = `0x${'f1'.repeat(20)}`;
    const prober = `0x${'f3'.repeat(20)}`;
    const code = asm(`0x${bare(full)} BALANCE POP
      0x00 0x00 0x00 0x00 0x01 0x${bare(full)} 0xffff CALL 0x00 SSTORE STOP`);
    const recipient = newKey().address;
    const batch = parseBatch(
      batchFile({
        pre: {
          [a.address]: { balance: 10n ** 18n },
          [b.address]: { balance: 10n ** 18n },
          [full]: { code: asm('STOP'), balance: MAX },
          [prober]: { code, balance: 10n },
          [recipient]: { balance: 1_000n },
        },
        txs: [signTx(a, { nonce: 0n, to: prober, gasLimit: 100_000n }), pay(b, recipient, 5n)],
      }),
    );
    const list = await parity(batch);
    expect(list[0]?.writes.some(([, v]) => isCredit(v))).toBe(false);
    expect(list[1]?.writes).toContainEqual([`b${bare(recipient)}`, { credit: 5n }]);
  });

  it('credits that overflow a balance a later transaction reads: re-run without them', async () => {
    const [a, b, c] = [newKey(), newKey(), newKey()];
    const recipient = { address: newKey().address, balance: MAX - 3n };
    await parity(
      batchOf([a, b, c] as Key[], recipient, [
        pay(a as Key, recipient.address, 2n),
        pay(b as Key, recipient.address, 2n),
        readBalanceOf(c as Key, recipient.address),
      ]),
    );
  });
});
