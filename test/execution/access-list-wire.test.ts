/**
 * The access-list wire format: a real list from the parallel executor survives the round trip
 * (and still verifies), and a list from another process that is malformed or oversized is
 * refused at the boundary naming the field, before anything executes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAccessList, encodeAccessList } from '../../src/execution/access-list-wire.ts';
import type { AccessList } from '../../src/execution/accessList.ts';
import { parseBatch } from '../../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../src/execution/parallel/verify.ts';
import type { Batch } from '../../src/execution/types.ts';
import { InvalidInputError } from '../../src/shared/errors.ts';
import { randomBatch, randomSeed } from './support/generator.ts';

afterAll(closeWorkerPool);

const seed = randomSeed();
let batch: Batch;
let list: AccessList;

beforeAll(async () => {
  batch = parseBatch(randomBatch(seed, 40));
  list = (await runParallel(batch, { workers: 2, fallback: false })).accessList as AccessList;
});

const wire = () => JSON.parse(JSON.stringify(encodeAccessList(list))) as Record<string, unknown>[];

function refused(json: unknown, field: RegExp): void {
  let error: unknown;
  try {
    decodeAccessList(json);
  } catch (e) {
    error = e;
  }
  expect(error, `seed ${seed}`).toBeInstanceOf(InvalidInputError);
  expect(String((error as InvalidInputError).extensions.field)).toMatch(field);
}

describe('access list wire format', () => {
  it('round-trips a list from runParallel through JSON text, and the copy still verifies', async () => {
    const decoded = decodeAccessList(wire());
    expect(decoded, `seed ${seed}`).toEqual(list);
    const result = await verifyWithAccessList(batch, decoded, { workers: 2 });
    expect(result.txCount).toBe(batch.txs.length);
  });

  it('round-trips every kind of value: credits, negative coinbase balance, wipes, code', () => {
    const addr = 'ab'.repeat(20);
    const synthetic: AccessList = [
      {
        reads: [`e${addr}`, `s${addr}${'00'.repeat(31)}01`],
        writes: [
          [`e${addr}`, true],
          [`r${addr}`, true],
          [`n${addr}`, 7n],
          [`b${addr}`, -5n],
          [`b${'cd'.repeat(20)}`, { credit: 10n ** 30n }],
          [`c${addr}`, 'ee'.repeat(32)],
          [`s${addr}${'00'.repeat(32)}`, 2n ** 256n - 1n],
        ],
        fee: 21_000n,
        codes: [['ee'.repeat(32), new Uint8Array([0x60, 0x00])]],
      },
    ];
    expect(decodeAccessList(JSON.parse(JSON.stringify(encodeAccessList(synthetic))))).toEqual(
      synthetic,
    );
  });

  it('refuses a value of the wrong kind for its location (a hash posing as a nonce)', () => {
    const w = wire();
    const entry = w.findIndex((e) => (e.writes as unknown[][]).some(([k]) => String(k)[0] === 'n'));
    const at = (w[entry]!.writes as unknown[][]).findIndex(([k]) => String(k)[0] === 'n');
    (w[entry]!.writes as unknown[][])[at]![1] = 'ee'.repeat(32);
    refused(w, new RegExp(`^accessList\\[${entry}\\]\\.writes\\[${at}\\]\\[1\\]$`));
  });

  it('refuses a negative balance disguised as a credit or a nonce', () => {
    const addr = 'ab'.repeat(20);
    const entry = (writes: unknown[]) => [{ reads: [], writes, fee: '0x0', codes: [] }];
    refused(
      entry([[`b${addr}`, { credit: '-0x1' }]]),
      /^accessList\[0\]\.writes\[0\]\[1\]\.credit$/,
    );
    refused(entry([[`n${addr}`, '-0x1']]), /^accessList\[0\]\.writes\[0\]\[1\]$/);
    refused(entry([[`b${addr}`, '-0x0']]), /writes\[0\]\[1\]$/);
  });

  it('refuses quantities above 256 bits and non-canonical hex', () => {
    const entry = (fee: unknown) => [{ reads: [], writes: [], fee, codes: [] }];
    refused(entry(`0x1${'0'.repeat(64)}`), /^accessList\[0\]\.fee$/);
    refused(entry('0x01'), /^accessList\[0\]\.fee$/);
    refused(entry(21000), /^accessList\[0\]\.fee$/);
  });

  it('refuses malformed locations, unknown fields and wrong shapes', () => {
    refused({}, /^accessList$/);
    refused([null], /^accessList\[0\]$/);
    refused([{ reads: ['x'], writes: [], fee: '0x0', codes: [] }], /^accessList\[0\]\.reads\[0\]$/);
    refused(
      [{ reads: [`e${'AB'.repeat(20)}`], writes: [], fee: '0x0', codes: [] }],
      /^accessList\[0\]\.reads\[0\]$/,
    );
    refused(
      [{ reads: [], writes: [['e']], fee: '0x0', codes: [] }],
      /^accessList\[0\]\.writes\[0\]$/,
    );
    refused(
      [{ reads: [], writes: [], fee: '0x0', codes: [], extra: 1 }],
      /^accessList\[0\]\.extra$/,
    );
    refused([{ reads: [], writes: [], fee: '0x0' }], /^accessList\[0\]\.codes$/);
  });

  it('refuses oversized code and lists larger than a batch can be (memory exhaustion)', () => {
    const huge = `0x${'00'.repeat(24_577)}`;
    refused(
      [{ reads: [], writes: [], fee: '0x0', codes: [['ee'.repeat(32), huge]] }],
      /codes\[0\]\[1\]$/,
    );
    refused(
      [{ reads: [], writes: [], fee: '0x0', codes: [['ee'.repeat(32), '0x0']] }],
      /codes\[0\]\[1\]$/,
    );
    refused(new Array(50_001).fill(0), /^accessList$/);
    const reads = new Array(100_001).fill(`e${'ab'.repeat(20)}`);
    refused([{ reads, writes: [], fee: '0x0', codes: [] }], /^accessList\[0\]\.reads$/);
  });

  it('names the field under the prefix the caller gives', () => {
    expect(() => decodeAccessList([null], 'body.accessList')).toThrow(/^body\.accessList\[0\]:/);
  });
});
