/**
 * MVMemory.firstCreditOverflow, the check every verdict of a run with deferred credits waits
 * for (parallel/index.ts finishBatch): each credited balance summed in transaction order.
 */
import { describe, expect, it } from 'vitest';
import { MAX_BALANCE } from '../../../src/execution/parallel/keys.ts';
import { MVMemory } from '../../../src/execution/parallel/mvmemory.ts';

const X = `b${'f1'.repeat(20)}`;
const Y = `b${'f2'.repeat(20)}`;

describe('MVMemory.firstCreditOverflow', () => {
  it('finds an overflow that a later absolute balance hides from the final value', () => {
    const mv = new MVMemory();
    mv.record(0, 0, [[X, { credit: 5n }]]);
    mv.record(1, 0, [[X, 0n]]);
    expect(mv.firstCreditOverflow(() => MAX_BALANCE - 1n)).toBe(0);
  });

  it('names the lowest transaction over all balances, not the first balance walked', () => {
    const mv = new MVMemory();
    mv.record(1, 0, [[X, { credit: 1n }]]);
    mv.record(3, 0, [[X, { credit: 1n }]]);
    mv.record(2, 0, [[Y, { credit: 1n }]]);
    expect(mv.firstCreditOverflow((key) => (key === X ? MAX_BALANCE - 1n : MAX_BALANCE))).toBe(2);
  });

  it('does not mistake credits on top of a lower absolute balance for an overflow', () => {
    const mv = new MVMemory();
    mv.record(0, 0, [[X, 10n]]);
    mv.record(1, 0, [[X, { credit: MAX_BALANCE - 10n }]]);
    expect(mv.firstCreditOverflow(() => MAX_BALANCE)).toBeUndefined();
  });

  it('forgets a credit a later incarnation no longer makes', () => {
    const mv = new MVMemory();
    mv.record(0, 0, [[X, { credit: 1n }]]);
    mv.record(0, 1, []);
    expect(mv.firstCreditOverflow(() => MAX_BALANCE)).toBeUndefined();
  });
});
