/**
 * Multi-version memory is keyed per account field (keys.ts): a transaction depends on the
 * fields it used, not on the whole account. Shown on the reads the parallel executor records
 * (its access list), on the scheduler's conflict counters, and always against runSequential.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { PROBER, READER, TOKEN, word } from '../support/contracts.ts';
import { summary } from '../support/parity.ts';
import { batchFile, type Key, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const TOKEN_AT = `0x${'a1'.repeat(20)}`;
const PROBER_AT = `0x${'aa'.repeat(20)}`;
const READER_AT = `0x${'a5'.repeat(20)}`;
const bare = (address: string) => address.slice(2).toLowerCase();
const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

/** token.transfer(to, amount) with `value` wei attached. */
function tokenCall(k: Key, to: string, amount: bigint, value = 0n): string {
  return signTx(k, { nonce: 0n, to: TOKEN_AT, value, data: hex(word(to) + word(amount)) });
}

function batchOf(keys: Key[], txs: string[]): Batch {
  const tokenStorage: Record<string, string> = {};
  const pre: Parameters<typeof batchFile>[0]['pre'] = {
    [PROBER_AT]: { code: PROBER },
    [READER_AT]: { code: READER },
  };
  for (const k of keys) {
    pre[k.address] = { balance: 10n ** 18n };
    tokenStorage[k.address] = '0x3e8';
  }
  pre[TOKEN_AT] = { code: TOKEN, storage: tokenStorage };
  return parseBatch(batchFile({ pre, txs }));
}

async function runBoth(batch: Batch) {
  const parallel = await runParallel(batch, { workers: 2, fallback: false });
  expect(summary(parallel)).toEqual(summary(await runSequential(batch)));
  return { list: parallel.accessList as AccessList };
}

describe('multi-version memory keyed per account field', () => {
  it('a call into a contract does not read the balance that a deposit into it changed', async () => {
    const [depositor, user, prober, reader] = [newKey(), newKey(), newKey(), newKey()];
    const batch = batchOf([depositor, user, prober, reader] as Key[], [
      tokenCall(depositor as Key, newKey().address, 0n, 5n),
      tokenCall(user as Key, newKey().address, 7n),
      signTx(prober as Key, { nonce: 0n, to: PROBER_AT, data: hex(word(TOKEN_AT)) }),
      signTx(reader as Key, { nonce: 0n, to: READER_AT, data: hex(word(TOKEN_AT)) }),
    ]);
    const { list } = await runBoth(batch);
    const t = bare(TOKEN_AT);
    const [deposit, transfer, probe, balanceRead] = list as [
      AccessList[number],
      AccessList[number],
      AccessList[number],
      AccessList[number],
    ];
    expect(deposit.writes).toContainEqual([`b${t}`, { credit: 5n }]);
    // the transfer runs the token's code: it reads the code hash and existence, not the balance
    expect(transfer.reads).toContain(`c${t}`);
    expect(transfer.reads).not.toContain(`b${t}`);
    expect(transfer.reads).not.toContain(`n${t}`);
    // EXTCODEHASH / EXTCODESIZE of the token: code only
    expect(probe.reads).toContain(`c${t}`);
    expect(probe.reads).not.toContain(`b${t}`);
    // BALANCE(token) is the control: it must depend on the deposit
    expect(balanceRead.reads).toContain(`b${t}`);
    // the sender's own fields are read and written as before
    const u = bare((user as Key).address);
    expect(transfer.reads).toEqual(expect.arrayContaining([`n${u}`, `b${u}`, `c${u}`]));
    expect(transfer.writes.map(([k]) => k)).toEqual(expect.arrayContaining([`n${u}`, `b${u}`]));
    expect(transfer.writes.map(([k]) => k)).not.toContain(`c${u}`);

    const verified = await verifyWithAccessList(batch, list, { workers: 2 });
    expect(summary(verified)).toEqual(summary(await runSequential(batch)));
  });

  it('transfers through a contract and deposits into it never depend on each other', async () => {
    const keys = Array.from({ length: 24 }, () => newKey());
    const txs = keys.map((k, i) =>
      i % 2 === 0
        ? tokenCall(k, newKey().address, 0n, BigInt(1 + i))
        : tokenCall(k, newKey().address, 3n),
    );
    const { list } = await runBoth(batchOf(keys, txs));
    // Keyed per account, every transfer would read the header each deposit rewrites. Keyed per
    // field, transfers read no balance of the token, and deposits credit it without reading.
    const written = new Set<string>();
    list.forEach((entry, tx) => {
      expect(
        entry.reads.filter((k) => written.has(k)),
        `transaction ${tx}`,
      ).toEqual([]);
      for (const [k] of entry.writes) written.add(k);
    });
  });
});
