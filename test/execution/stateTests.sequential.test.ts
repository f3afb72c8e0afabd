/**
 * Every Cancun case of ethereum/tests GeneralStateTests as a one-transaction batch through the
 * sequential reference: post-state root equals `hash`; blob cases are rejected with the blob
 * reason; `expectException` cases are rejected. No case is skipped.
 */
import { describe, expect, it } from 'vitest';
import { runSequential } from '../../src/execution/sequential.ts';
import { loadStateTests, stateTestFailures } from './support/stateTests.ts';

const cases = loadStateTests();

describe('GeneralStateTests (Cancun) through runSequential', () => {
  it('covers the whole fixture set', () => {
    expect(cases.length).toBe(4399);
    expect(cases.filter((c) => c.isBlob).length).toBe(10);
  });

  it('every case matches', { timeout: 600_000 }, async () => {
    expect(await stateTestFailures(cases, (batch) => runSequential(batch))).toEqual([]);
  });
});
