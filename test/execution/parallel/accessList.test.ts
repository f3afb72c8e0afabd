/**
 * verifyWithAccessList accepts the list the parallel executor produced (same root as the
 * sequential run) and catches every kind of lie: a changed value, a missing read, a missing
 * or extra write, a wrong fee, forged code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { touched } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { AccessListMismatchError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import { randomBatch, randomSeed } from '../support/generator.ts';
import { summary } from '../support/parity.ts';

afterAll(closeWorkerPool);

const seed = randomSeed();
let batch: Batch;
let list: AccessList;

beforeAll(async () => {
  batch = parseBatch(randomBatch(seed, 60));
  const produced = await runParallel(batch, { workers: 2, fallback: false });
  list = produced.accessList as AccessList;
});

const clone = (l: AccessList): AccessList => structuredClone(l);

async function expectCaught(lying: AccessList, at: number, re: RegExp): Promise<void> {
  const err = await verifyWithAccessList(batch, lying, { workers: 2 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `seed ${seed}`).toBeInstanceOf(AccessListMismatchError);
  expect((err as AccessListMismatchError).index).toBe(at);
  expect((err as Error).message).toMatch(re);
}

/** The first transaction that wrote a storage slot, and that write's index. */
function firstSlotWrite(l: AccessList): [number, number] {
  for (let tx = 0; tx < l.length; tx++) {
    const i = (l[tx]?.writes ?? []).findIndex(([k]) => k.startsWith('s'));
    if (i >= 0) return [tx, i];
  }
  throw new Error('no storage write in the batch');
}

describe('verifyWithAccessList', () => {
  it('accepts the true list and reproduces the sequential result', async () => {
    expect(list.length).toBe(batch.txs.length);
    const verified = await verifyWithAccessList(batch, list, { workers: 2 });
    expect(summary(verified), `seed ${seed}`).toEqual(summary(await runSequential(batch)));
    expect(touched(list[0] as AccessList[number]).accounts.length).toBeGreaterThan(0);
  });

  it('catches a lying write value (a forged token balance)', async () => {
    const lying = clone(list);
    const [tx, i] = firstSlotWrite(lying);
    const w = (lying[tx] as AccessList[number]).writes[i] as [string, bigint];
    w[1] = w[1] + 1_000_000n;
    await expectCaught(lying, tx, /different value/);
  });

  it('catches a forged balance in an account write', async () => {
    const lying = clone(list);
    const w = (lying[0] as AccessList[number]).writes.find(([k]) => k.startsWith('b')) as [
      string,
      bigint,
    ];
    w[1] = w[1] + 10n ** 18n;
    await expectCaught(lying, 0, /different value/);
  });

  it('catches an incomplete list (a read left out)', async () => {
    const lying = clone(list);
    (lying[5] as AccessList[number]).reads.pop();
    await expectCaught(lying, 5, /missing from the list/);
  });

  it('catches a write hidden behind a duplicated one (same count, one location twice)', async () => {
    const lying = clone(list);
    const tx = lying.findIndex((e) => e.writes.length >= 2);
    const writes = (lying[tx] as AccessList[number]).writes;
    writes[1] = writes[0] as (typeof writes)[number];
    await expectCaught(lying, tx, /twice/);
  });

  it('catches a hidden write', async () => {
    const lying = clone(list);
    (lying[3] as AccessList[number]).writes.pop();
    await expectCaught(lying, 3, /wrote \d+ locations/);
  });

  it('catches a wrong fee (coinbase theft)', async () => {
    const lying = clone(list);
    const e = lying[2] as AccessList[number];
    e.fee += 1n;
    await expectCaught(lying, 2, /fee/);
  });

  it('catches forged contract code', async () => {
    const lying = clone(list);
    const tx = lying.findIndex((e) => e.codes.length > 0);
    expect(tx, `seed ${seed}: no contract created`).toBeGreaterThanOrEqual(0);
    const entry = lying[tx] as AccessList[number];
    const [hash] = entry.codes[0] as [string, Uint8Array];
    entry.codes[0] = [hash, new Uint8Array([0x00])];
    await expectCaught(lying, tx, /does not hash/);
  });

  it('refuses a list for a different number of transactions', async () => {
    await expectCaught(clone(list).slice(0, -1), list.length - 1, /describes/);
  });
});
