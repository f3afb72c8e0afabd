import { describe, expect, it } from 'vitest';
import { reserves } from '../../src/settlement/reserves.ts';
import { chainOutput, p2wshCustody, queue } from './support.ts';

describe('reserves', () => {
  const { custody } = p2wshCustody();
  it('compares the custody balance with the unpaid withdrawals', () => {
    const r = reserves(
      [chainOutput(custody, 1, 60_000n), chainOutput(custody, 2, 5_000n)],
      queue(6, 0n, 10_000n),
    );
    expect(r).toEqual({
      custodySats: 65_000n,
      custodyOutputs: 2,
      liabilitiesSats: 60_000n,
      pendingWithdrawals: 6,
      surplusSats: 5_000n,
      covered: true,
    });
  });
  it('reports an under-reserved custody as a negative surplus, not covered', () => {
    const r = reserves([chainOutput(custody, 1, 50_000n)], queue(6, 0n, 10_000n));
    expect(r.surplusSats).toBe(-10_000n);
    expect(r.covered).toBe(false);
  });
});
