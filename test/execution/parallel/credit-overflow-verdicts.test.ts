/**
 * Issue 11, section 4: a credit to an account holding 2^256 - 1 is refused by the EVM
 * (VALUE_OVERFLOW) at the moment it is made; a deferred credit is only found to overflow when
 * summed. Each batch here is valid sequentially, but what the credit-mode run does after the
 * silently accepted credit leads to a verdict (a rejection, a gas limit exceeded) at a later
 * index. That verdict must never be given before the credits are checked. Each batch is run
 * against both sequential profiles (ours and plain @ethereumjs/vm) with 1, 2 and 4 workers,
 * and its access list through verifyWithAccessList.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { AccessListMismatchError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { balanceKey, type Value } from '../../../src/execution/parallel/keys.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { asm } from '../support/contracts.ts';
import { outcome } from '../support/parity.ts';
import { type BatchSpec, batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const MAX = 2n ** 256n - 1n;
/** 21,000 gas at the base fee of 7 with no tip: what a plain transfer costs here */
const TRANSFER_COST = 147_000n;
const FULL = `0x${'f1'.repeat(20)}`;
const bare = (address: string): string => address.slice(2).toLowerCase();

/** A transfer that pays exactly TRANSFER_COST in fees. */
const cheap = { gasLimit: 21_000n, maxFee: 7n, tip: 0n };

async function expectParity(batch: Batch): Promise<AccessList> {
  const expected = await outcome(() => runSequential(batch));
  expect(expected.rejected, String(expected.reason)).toBeUndefined();
  expect(await outcome(() => runSequential(batch, { profile: 'default' }))).toEqual(expected);
  let list: AccessList | undefined;
  for (const workers of [1, 2, 4]) {
    const got = await outcome(async () => {
      const r = await runParallel(batch, { workers, fallback: false });
      list = r.accessList;
      return r;
    });
    expect(got, `${workers} workers`).toEqual(expected);
  }
  const verified = await outcome(() => verifyWithAccessList(batch, list as AccessList));
  expect(verified, 'verifyWithAccessList').toEqual(expected);
  return list as AccessList;
}

/** tx0 A → FULL value 1 (refused), tx1 A → elsewhere: A can pay tx1 only if the wei stayed. */
function refusedTransferThenSpend(): Batch {
  const a = newKey();
  return parseBatch(
    batchFile({
      pre: { [a.address]: { balance: 2n * TRANSFER_COST }, [FULL]: { balance: MAX } },
      txs: [
        signTx(a, { nonce: 0n, to: FULL, value: 1n, ...cheap }),
        signTx(a, { nonce: 1n, to: newKey().address, value: 0n, ...cheap }),
      ],
    }),
  );
}

/** A contract pays `funded` TRANSFER_COST only if its CALL with value to `target` failed. */
function fundsIfCallFails(target: string, funded: string): string {
  return asm(`0x00 0x00 0x00 0x00 0x01 0x${bare(target)} 0xffff CALL ISZERO @fund JUMPI STOP
    fund: 0x00 0x00 0x00 0x00 0x023e58 0x${bare(funded)} 0xffff CALL POP STOP`);
}

function fundingDecidedByOverflow(target: BatchSpec['pre'][string]): Batch {
  const [a, b] = [newKey(), newKey()];
  const funder = `0x${'f2'.repeat(20)}`;
  return parseBatch(
    batchFile({
      pre: {
        [a.address]: { balance: 10n ** 18n },
        [FULL]: target,
        [funder]: { code: fundsIfCallFails(FULL, b.address), balance: 10n ** 18n },
      },
      txs: [
        signTx(a, { nonce: 0n, to: funder, gasLimit: 200_000n }),
        signTx(b, { nonce: 0n, to: newKey().address, value: 0n, ...cheap }),
      ],
    }),
  );
}

/** Counts 2,304 down and stops: about 60,000 gas, and no revert that would sum the credit. */
const BURNER = asm('0x0900 loop: 0x01 SWAP1 SUB DUP1 @loop JUMPI STOP');

/** tx0 pays a burner holding 2^256 - 1: refused, 21,000 gas; run, over 80,000. */
function burnerThenGasLimit(): Batch {
  const a = newKey();
  return parseBatch(
    batchFile({
      gasLimit: 150_000n,
      pre: { [a.address]: { balance: 10n ** 18n }, [FULL]: { code: BURNER, balance: MAX } },
      txs: [
        signTx(a, { nonce: 0n, to: FULL, value: 1n, gasLimit: 100_000n }),
        signTx(a, { nonce: 1n, to: newKey().address, value: 0n, gasLimit: 100_000n }),
      ],
    }),
  );
}

describe('a deferred credit that would overflow is checked before any verdict', () => {
  it('not rejecting a later spend of the wei the refused credit left with the sender', async () => {
    const batch = refusedTransferThenSpend();
    await expectParity(batch);
    const sequential = await runSequential(batch);
    expect(sequential.gasUsed).toBe(0xa410n);
    expect(sequential.receipts.map((r) => r.status)).toEqual([0, 1]);
  });

  it('not rejecting a sender funded because a CALL with value to a full EOA failed', async () => {
    await expectParity(fundingDecidedByOverflow({ balance: MAX }));
  });

  it('not rejecting a sender funded because a CALL with value to a full contract failed', async () => {
    await expectParity(fundingDecidedByOverflow({ code: asm('STOP'), balance: MAX }));
  });

  it('not giving a gas verdict on gas burnt by a callee the refused credit never runs', async () => {
    const batch = burnerThenGasLimit();
    await expectParity(batch);
    expect((await runSequential(batch)).gasUsed).toBe(21_000n + 21_000n);
  });

  it('not rejecting the valid batch when a list hides the overflowing credit', async () => {
    const batch = refusedTransferThenSpend();
    const honest = (await runParallel(batch, { workers: 2, fallback: false }))
      .accessList as AccessList;
    // What a run that deferred the refused credit declares: FULL credited, the wei gone from
    // A, and transaction 1 rejected for it (no writes, no fee).
    const lying = structuredClone(honest);
    const [tx0, tx1] = lying as [AccessList[number], AccessList[number]];
    const sender = tx0.writes.find(([k, v]) => k.startsWith('b') && v === TRANSFER_COST) as [
      string,
      Value,
    ];
    sender[1] = TRANSFER_COST - 1n;
    tx0.writes.push([balanceKey(bare(FULL)), { credit: 1n }]);
    tx1.writes = [];
    tx1.fee = 0n;
    const err = await verifyWithAccessList(batch, lying, { workers: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessListMismatchError);
    expect((err as AccessListMismatchError).index).toBe(0);
  });
});
