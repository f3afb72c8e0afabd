/**
 * Every Cancun case of ethereum/tests GeneralStateTests as a one-transaction batch through the
 * parallel executor: post-state root equals `hash`; blob cases are rejected with the blob
 * reason; `expectException` cases are rejected. No case is skipped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../src/execution/batch.ts';
import { BatchRejectedError } from '../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../src/execution/parallel/index.ts';
import { bytesToHex } from '../../src/shared/hex.ts';
import { loadStateTests } from './support/stateTests.ts';

const cases = loadStateTests();
afterAll(closeWorkerPool);

describe('GeneralStateTests (Cancun) through runParallel (warm pool of 2 workers)', () => {
  it('covers the whole fixture set', () => {
    expect(cases.length).toBe(4399);
    expect(cases.filter((c) => c.isBlob).length).toBe(10);
  });

  it('every case matches', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    for (const c of cases) {
      let got: string;
      try {
        got = bytesToHex((await runParallel(parseBatch(c.batch), { workers: 2 })).stateRoot);
      } catch (e) {
        if (!(e instanceof BatchRejectedError)) throw e;
        got = `rejected: ${e.reason}`;
      }
      const ok = c.isBlob
        ? /blob/.test(got) && got.startsWith('rejected')
        : c.expectException !== undefined
          ? got.startsWith('rejected')
          : got === c.expectedRoot;
      if (!ok)
        failures.push(`${c.id}: expected ${c.expectException ?? c.expectedRoot}, got ${got}`);
    }
    expect(failures).toEqual([]);
  });
});
