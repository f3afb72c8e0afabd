/**
 * Every Cancun case of ethereum/tests GeneralStateTests as a one-transaction batch through the
 * parallel executor: post-state root equals `hash`; blob cases are rejected with the blob
 * reason; `expectException` cases are rejected. No case is skipped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeWorkerPool, runParallel } from '../../src/execution/parallel/index.ts';
import { loadStateTests, stateTestFailures } from './support/stateTests.ts';

const cases = loadStateTests();
afterAll(closeWorkerPool);

describe('GeneralStateTests (Cancun) through runParallel (warm pool of 2 workers)', () => {
  it('covers the whole fixture set', () => {
    expect(cases.length).toBe(4399);
    expect(cases.filter((c) => c.isBlob).length).toBe(10);
  });

  it('every case matches', { timeout: 600_000 }, async () => {
    expect(await stateTestFailures(cases, (batch) => runParallel(batch, { workers: 2 }))).toEqual(
      [],
    );
  });
});
