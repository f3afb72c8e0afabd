import type { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  type BuiltSettlement,
  buildSettlement,
  RBF_SEQUENCE,
  type SettlementResult,
} from '../../src/settlement/build.ts';
import { buildFeeBump, minimumBumpFee } from '../../src/settlement/bump.ts';
import { commitmentFromScript } from '../../src/settlement/commitment.ts';
import { firstDifference } from '../../src/settlement/compare.ts';
import { feeFor } from '../../src/settlement/fees.ts';
import { MAX_STANDARD_TX_WEIGHT } from '../../src/settlement/size.ts';
import {
  chainOutput,
  frostCustody,
  head,
  p2wshCustody,
  policyFor,
  queue,
  toHex,
} from './support.ts';

const { custody } = p2wshCustody(2, 3);
const current = chainOutput(custody, 1, 5_000_000n);
const topUps = [
  chainOutput(custody, 3, 20_000n, 1),
  chainOutput(custody, 2, 30_000n),
  chainOutput(custody, 3, 40_000n, 0),
];

function built(result: SettlementResult): BuiltSettlement {
  if (result.status !== 'built') throw new Error(`held: ${result.reason}`);
  return result;
}

function txidOf(hash: Uint8Array): string {
  return Buffer.from(hash).reverse().toString('hex');
}

describe('buildSettlement', () => {
  it('the same records give the same bytes, whatever order the top-ups arrive in', () => {
    const a = built(buildSettlement({ current, topUps }, queue(7), head, 3.25, policyFor(custody)));
    const b = built(
      buildSettlement(
        { current, topUps: [...topUps].reverse() },
        queue(7),
        head,
        3.25,
        policyFor(custody),
      ),
    );
    expect(a.psbt.toBase64()).toBe(b.psbt.toBase64());
    expect(a.unsignedTx.toHex()).toBe(b.unsignedTx.toHex());
    expect(firstDifference(b.unsignedTx, a.unsignedTx)).toBeNull();
  });

  it('lays out inputs and outputs as documented: custody first, commitment second, withdrawals in queue order', () => {
    const s = built(buildSettlement({ current, topUps }, queue(7), head, 3.25, policyFor(custody)));
    const tx = s.unsignedTx;
    expect(tx.version).toBe(2);
    expect(tx.locktime).toBe(0);
    const outpoints = tx.ins.map((i) => `${txidOf(i.hash)}:${i.index}`);
    expect(outpoints[0]).toBe(`${current.txid}:0`);
    // Top-ups by txid (seed 2's sorts before seed 3's), then by vout.
    const expected = [topUps[1], topUps[2], topUps[0]].map((o) => `${o?.txid}:${o?.vout}`);
    expect(topUps[1]!.txid < topUps[0]!.txid).toBe(true);
    expect(outpoints.slice(1)).toEqual(expected);
    expect(outpoints).toHaveLength(4);
    expect(tx.ins.every((i) => i.sequence === RBF_SEQUENCE)).toBe(true);
    expect(toHex(tx.outs[0]?.script as Uint8Array)).toBe(toHex(custody.scriptPubKey));
    const c = commitmentFromScript(tx.outs[1]?.script as Uint8Array);
    expect(c).toEqual({ ...head, withdrawalCount: 7 });
    expect(tx.outs[1]?.value).toBe(0n);
    const q = queue(7);
    tx.outs.slice(2).forEach((o, i) => {
      expect(`0x${toHex(o.script)}`).toBe(q[i]?.scriptPubKey);
      expect(o.value).toBe(10_000n);
    });
  });

  it('pays fee = ceil(rate × worst-case vsize) and returns the rest to custody', () => {
    const s = built(buildSettlement({ current, topUps }, queue(7), head, 3.25, policyFor(custody)));
    expect(s.feeSats).toBe(feeFor(3250n, s.vsize));
    const inputs = 5_000_000n + 20_000n + 30_000n + 40_000n;
    expect(s.changeSats).toBe(inputs - 70_000n - s.feeSats);
    expect(s.unsignedTx.outs[0]?.value).toBe(s.changeSats);
  });

  it('pays at most maxWithdrawals, oldest first; the rest wait', () => {
    const s = built(
      buildSettlement(
        { current, topUps: [] },
        queue(10),
        head,
        2,
        policyFor(custody, { maxWithdrawals: 4 }),
      ),
    );
    expect(s.paid.map((w) => w.index)).toEqual([0n, 1n, 2n, 3n]);
    expect(s.waiting).toBe(6);
    expect(s.commitment.withdrawalCount).toBe(4);
  });

  it('stops at the standard weight limit (400,000 WU) and never builds a non-standard transaction', () => {
    const big = chainOutput(custody, 1, 1_000_000_000n);
    const s = built(
      buildSettlement(
        { current: big, topUps: [] },
        queue(4000, 0n, 3_000n),
        head,
        1,
        policyFor(custody, { maxWithdrawals: 10_000, maxFeeSats: 10_000_000n }),
      ),
    );
    expect(s.weight).toBeLessThanOrEqual(MAX_STANDARD_TX_WEIGHT);
    // One more P2WPKH output (31 bytes, 124 WU) would not fit.
    expect(s.weight + 124).toBeGreaterThan(MAX_STANDARD_TX_WEIGHT);
    expect(s.paid.length + s.waiting).toBe(4000);
    expect(s.paid.length).toBeGreaterThan(3000);
  });

  it('the absolute fee cap limits how many withdrawals fit; when none fit the settlement is held', () => {
    const capped = built(
      buildSettlement(
        { current, topUps: [] },
        queue(20),
        head,
        10,
        policyFor(custody, { maxFeeSats: 3_000n }),
      ),
    );
    expect(capped.feeSats).toBeLessThanOrEqual(3_000n);
    expect(capped.paid.length).toBeGreaterThan(0);
    expect(capped.paid.length).toBeLessThan(20);
    // Exactly as many as fit: one more withdrawal would have pushed the fee over the cap.
    const oneMore = buildSettlement(
      { current, topUps: [] },
      queue(capped.paid.length + 1),
      head,
      10,
      policyFor(custody, { maxFeeSats: 1_000_000n }),
    );
    expect(oneMore.status === 'built' && oneMore.feeSats).toBeGreaterThan(3_000n);
    const none = buildSettlement(
      { current, topUps: [] },
      queue(20),
      head,
      10,
      policyFor(custody, { maxFeeSats: 500n }),
    );
    expect(none).toMatchObject({ status: 'held', code: 'fee-cap' });
  });

  it('a settlement the custody balance cannot pay is held with a reason, not partly built', () => {
    const poor = chainOutput(custody, 1, 50_000n);
    const r = buildSettlement(
      { current: poor, topUps: [] },
      queue(10),
      head,
      2,
      policyFor(custody),
    );
    expect(r.status).toBe('held');
    if (r.status !== 'held') return;
    expect(r.code).toBe('insufficient-funds');
    expect(r.reason).toMatch(
      /custody holds 50000 sats; paying the 10 oldest withdrawals needs \d+ sats/,
    );
  });

  it('with no withdrawals it still commits the newest state root, count 0 at the next unpaid index', () => {
    const s = built(
      buildSettlement(
        { current, topUps: [] },
        [],
        { ...head, firstWithdrawalIndex: 12n },
        2,
        policyFor(custody),
      ),
    );
    expect(s.commitment).toMatchObject({ firstWithdrawalIndex: 12n, withdrawalCount: 0 });
    expect(s.unsignedTx.outs).toHaveLength(2);
  });

  it('pays a P2TR withdrawal whose key is not on the curve: the bridge accepted it and nodes relay it', () => {
    const q = [{ index: '0x0', scriptPubKey: `0x5120${'ff'.repeat(32)}`, amountSats: '0x2710' }];
    const s = built(buildSettlement({ current, topUps: [] }, q, head, 2, policyFor(custody)));
    expect(toHex(s.unsignedTx.outs[2]?.script as Uint8Array)).toBe(`5120${'ff'.repeat(32)}`);
  });

  it('dust paid to the custody address is not spent: a top-up must be worth more than the fee it adds', () => {
    const dust = [chainOutput(custody, 7, 330n), chainOutput(custody, 8, 400n, 1)];
    const s = built(
      buildSettlement(
        { current, topUps: [...dust, topUps[0] as never] },
        queue(1),
        head,
        5,
        policyFor(custody),
      ),
    );
    // At 5 sat/vB a P2WSH 2-of-3 input (105 vB) costs 525 sats: both dust outputs stay unspent.
    expect(s.inputs.map((i) => i.valueSats)).toEqual([5_000_000n, 20_000n]);
  });

  it('spends at most maxTopUps top-ups, the largest first, laid out by outpoint', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      chainOutput(custody, 40 + i, 10_000n + BigInt(i)),
    );
    const s = built(
      buildSettlement(
        { current, topUps: many },
        queue(1),
        head,
        2,
        policyFor(custody, { maxTopUps: 5 }),
      ),
    );
    const values = s.inputs.slice(1).map((i) => i.valueSats);
    expect([...values].sort()).toEqual([10_025n, 10_026n, 10_027n, 10_028n, 10_029n]);
    const outpoints = s.inputs.slice(1).map((i) => i.txid);
    expect(outpoints).toEqual([...outpoints].sort());
  });

  describe('refuses records that would settle the wrong thing', () => {
    const policy = policyFor(custody);
    it('a skipped withdrawal: the queue must start at the oldest unpaid index', () => {
      expect(() => buildSettlement({ current, topUps: [] }, queue(3, 1n), head, 2, policy)).toThrow(
        /withdrawalQueue\[0\]: index 1, expected the oldest unpaid index 0/,
      );
    });
    it('a gap or reordering inside the queue', () => {
      const q = queue(3);
      expect(() =>
        buildSettlement({ current, topUps: [] }, [q[0], q[2], q[1]] as never, head, 2, policy),
      ).toThrow(/withdrawalQueue\[1\]: index 2 does not follow 0/);
    });
    it('an input that does not pay the custody script', () => {
      const foreign = { ...chainOutput(frostCustody().custody, 5, 10_000n) };
      expect(() =>
        buildSettlement({ current, topUps: [foreign] }, queue(1), head, 2, policy),
      ).toThrow(/custodyOutputs.topUps\[0\]: does not pay the custody script/);
    });
    it('the same outpoint twice', () => {
      expect(() =>
        buildSettlement({ current, topUps: [{ ...current }] }, queue(1), head, 2, policy),
      ).toThrow(/appears twice/);
    });
    it('a fee rate above the cap', () => {
      expect(() => buildSettlement({ current, topUps: [] }, queue(1), head, 51, policy)).toThrow(
        /feeRate: 51 sat\/vB is above the cap of 50/,
      );
    });
    it('a withdrawal below the dust limit of its script type (litecoin regtest P2WPKH: 2,940 sats)', () => {
      expect(() =>
        buildSettlement({ current, topUps: [] }, queue(1, 0n, 2_939n), head, 2, policy),
      ).toThrow(/amountSats: 2939 sats is below the p2wpkh dust limit of 2940/);
    });
    it('a non-standard withdrawal script', () => {
      const q = [{ index: '0x0', scriptPubKey: '0x6a0100', amountSats: '0x2710' }];
      expect(() => buildSettlement({ current, topUps: [] }, q, head, 2, policy)).toThrow(
        /not a standard output script/,
      );
    });
    it('a state root that is not 32 bytes', () => {
      expect(() =>
        buildSettlement(
          { current, topUps: [] },
          queue(1),
          { ...head, stateRoot: '0x1234' },
          2,
          policy,
        ),
      ).toThrow(/stateRoot/);
    });
  });
});

describe('firstDifference', () => {
  const base = built(
    buildSettlement({ current, topUps }, queue(3), head, 2, policyFor(custody)),
  ).unsignedTx;
  function mutated(change: (tx: Transaction) => void): Transaction {
    const tx = base.clone();
    change(tx);
    return tx;
  }
  it('names a changed payout amount', () => {
    const tx = mutated((t) => {
      (t.outs[2] as { value: bigint }).value = 9_999n;
    });
    expect(firstDifference(tx, base)).toBe('output 2 pays 9999 sats, expected 10000');
  });
  it('names a changed payout script', () => {
    const tx = mutated((t) => {
      (t.outs[3] as { script: Uint8Array }).script = base.outs[2]?.script as Uint8Array;
    });
    expect(firstDifference(tx, base)).toMatch(/^output 3 pays script 0014.*, expected 0014/);
  });
  it('names an extra output', () => {
    const tx = mutated((t) => t.addOutput(base.outs[2]?.script as Uint8Array, 1n));
    expect(firstDifference(tx, base)).toBe('6 outputs, expected 5');
  });
  it('names an unexpected input', () => {
    const tx = mutated((t) => {
      (t.ins[1] as { index: number }).index = 7;
    });
    expect(firstDifference(tx, base)).toMatch(
      /^input 1 spends [0-9a-f]{64}:7, expected [0-9a-f]{64}:\d$/,
    );
  });
  it('names a sequence that does not signal replacement', () => {
    const tx = mutated((t) => {
      (t.ins[0] as { sequence: number }).sequence = 0xffffffff;
    });
    expect(firstDifference(tx, base)).toBe('input 0 has sequence 0xffffffff, expected 0xfffffffd');
  });
});

describe('buildFeeBump', () => {
  const policy = policyFor(custody);
  const original = built(buildSettlement({ current, topUps }, queue(5), head, 2, policy));

  it('keeps inputs, payouts and commitment; only the change pays the higher fee (BIP125 rules 3 and 4)', () => {
    const bump = built(
      buildFeeBump(original, { feeRateSatPerVb: 2, incrementalRelayFeeSatPerVb: 1 }, policy),
    );
    expect(bump.feeSats).toBe(minimumBumpFee(original, 1));
    expect(bump.feeSats).toBe(original.feeSats + feeFor(1000n, original.vsize));
    expect(bump.changeSats).toBe(original.changeSats - (bump.feeSats - original.feeSats));
    const a = original.unsignedTx;
    const b = bump.unsignedTx;
    expect(b.ins.map((i) => toHex(i.hash) + i.index)).toEqual(
      a.ins.map((i) => toHex(i.hash) + i.index),
    );
    expect(b.outs.slice(1)).toEqual(a.outs.slice(1));
    expect(firstDifference(b, a)).toMatch(/^output 0 pays \d+ sats, expected \d+$/);
  });

  it('pays the wanted rate when it is above the BIP125 minimum', () => {
    const bump = built(
      buildFeeBump(original, { feeRateSatPerVb: 20, incrementalRelayFeeSatPerVb: 1 }, policy),
    );
    expect(bump.feeSats).toBe(feeFor(20_000n, original.vsize));
  });

  it('a bump above the fee cap is held, not broadcast', () => {
    const r = buildFeeBump(
      original,
      { feeRateSatPerVb: 60, incrementalRelayFeeSatPerVb: 1 },
      policy,
    );
    expect(r).toMatchObject({ status: 'held', code: 'fee-cap' });
  });

  it('a bump that would leave change under dust is held', () => {
    const tight = chainOutput(custody, 1, 50_000n + 3_000n + 2_000n);
    const s = built(buildSettlement({ current: tight, topUps: [] }, queue(5), head, 1, policy));
    const r = buildFeeBump(s, { feeRateSatPerVb: 40, incrementalRelayFeeSatPerVb: 1 }, policy);
    expect(r).toMatchObject({ status: 'held', code: 'insufficient-funds' });
  });
});
