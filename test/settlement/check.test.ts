/**
 * checkSettlement against a malicious coordinator: each attack its own test, each refusal
 * naming its reason. The signer's records are its own; the proposal is whatever the
 * coordinator sends.
 */
import { Psbt } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import type { ChainOutput } from '../../src/settlement/backend/types.ts';
import { assemble, type BuiltSettlement, buildSettlement } from '../../src/settlement/build.ts';
import { buildFeeBump } from '../../src/settlement/bump.ts';
import {
  type CheckPolicy,
  checkSettlement,
  type SignerRecords,
} from '../../src/settlement/check.ts';
import { parseWithdrawalQueue, type QueuedWithdrawal } from '../../src/settlement/withdrawals.ts';
import {
  chainOutput,
  head,
  network,
  p2wpkhScript,
  p2wshCustody,
  policyFor,
  queue,
  toHex,
} from './support.ts';

const { custody } = p2wshCustody(2, 3);
const current = chainOutput(custody, 1, 5_000_000n);
const topUp = chainOutput(custody, 2, 80_000n);
const theQueue = queue(4);
const policy: CheckPolicy = {
  settlement: policyFor(custody),
  maxEstimateFactor: 3,
  incrementalRelayFeeSatPerVb: 1,
};
const key = (o: ChainOutput) => `${o.txid}:${o.vout}`;

function records(over: Partial<SignerRecords> = {}): SignerRecords {
  return {
    custodyOutputs: new Map([current, topUp].map((o) => [key(o), o])),
    currentCustodyOutpoint: key(current),
    withdrawalQueue: theQueue,
    commitment: head,
    nodeFeeEstimateSatPerVb: 4,
    binding: null,
    ...over,
  };
}

function honest(
  rate = 5,
  q = theQueue,
  h = head,
  outputs = { current, topUps: [topUp] },
): BuiltSettlement {
  const r = buildSettlement(outputs, q, h, rate, policy.settlement);
  if (r.status !== 'built') throw new Error(r.reason);
  return r;
}

/** The coordinator's proposal: a fresh PSBT from the bytes, as the signer would receive it. */
function proposal(s: BuiltSettlement, rate = 5) {
  return {
    psbt: Psbt.fromBase64(s.psbt.toBase64(), { network: network.bitcoinjs }),
    feeRateSatPerVb: rate,
  };
}

/** `s` with its outputs changed by `edit` (an attacker's own assembly of the transaction). */
function tampered(
  s: BuiltSettlement,
  edit: (o: Parameters<typeof assemble>[0]) => void,
): BuiltSettlement {
  const opts = {
    inputs: s.inputs,
    paid: [...s.paid],
    commitment: { ...s.commitment },
    feeSats: s.feeSats,
    change: s.changeScriptPubKey,
    changeSats: s.changeSats,
    policy: policy.settlement,
    waiting: s.waiting,
    weight: s.weight,
    feeRateSatPerVb: s.feeRateSatPerVb,
  };
  edit(opts);
  return assemble(opts);
}

function refusal(r: ReturnType<typeof checkSettlement>) {
  if (r.ok) throw new Error('accepted');
  return r;
}

describe('checkSettlement', () => {
  it('accepts the settlement it rebuilds from its own records and derives every sighash itself', () => {
    const s = honest();
    const r = checkSettlement(proposal(s), records(), policy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.kind).toBe('new');
    expect(r.sighashes.map(toHex)).toEqual(
      s.inputs.map((_, i) => toHex(custody.sighash(s.unsignedTx, i, s.prevouts))),
    );
  });

  it('an extra output is refused', () => {
    const [extra] = parseWithdrawalQueue(
      [{ index: '0x63', scriptPubKey: p2wpkhScript(99), amountSats: '0x2710' }],
      network,
    );
    const s = tampered(honest(), (o) => {
      o.paid.push(extra as QueuedWithdrawal); // paid for out of the fee: the change is unchanged
    });
    expect(refusal(checkSettlement(proposal(s), records(), policy))).toMatchObject({
      code: 'mismatch',
      reason: '7 outputs, expected 6',
    });
  });

  it('a changed amount is refused, naming the output', () => {
    const s = tampered(honest(), (o) => {
      o.paid[1] = { ...(o.paid[1] as QueuedWithdrawal), amountSats: 9_999n };
      o.changeSats += 1n;
    });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).reason).toMatch(
      /^output \d pays/,
    );
  });

  it('a changed withdrawal script is refused', () => {
    const s = tampered(honest(), (o) => {
      o.paid[0] = {
        ...(o.paid[0] as QueuedWithdrawal),
        scriptPubKey: Uint8Array.from(Buffer.from(p2wpkhScript(77).slice(2), 'hex')),
      };
    });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).reason).toMatch(
      /^output 2 pays script/,
    );
  });

  it('a skipped withdrawal is refused', () => {
    const s = honest(5, theQueue.slice(1), { ...head, firstWithdrawalIndex: 1n });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).code).toBe('mismatch');
  });

  it('a reordered withdrawal is refused', () => {
    const s = tampered(honest(), (o) => {
      o.paid.reverse();
    });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).code).toBe('mismatch');
  });

  it('a wrong change script is refused', () => {
    const s = tampered(honest(), (o) => {
      o.change = Uint8Array.from(Buffer.from(p2wpkhScript(5).slice(2), 'hex'));
    });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).reason).toMatch(
      /^output 0 pays script/,
    );
  });

  it('a wrong state root is refused', () => {
    const s = honest(5, theQueue, { ...head, stateRoot: `0x${'cd'.repeat(32)}` });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).reason).toMatch(
      /^output 1 pays script/,
    );
  });

  it('a wrong batch number is refused', () => {
    const s = honest(5, theQueue, { ...head, batchNumber: 8n });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).reason).toMatch(
      /^output 1 pays script/,
    );
  });

  it('a fee above the cap is refused', () => {
    const r = refusal(checkSettlement(proposal(honest(), 60), records(), policy));
    expect(r).toMatchObject({ code: 'fee-rate' });
    expect(r.reason).toMatch(/above the cap of 50/);
  });

  it('a fee far above its own node estimate is refused', () => {
    const r = refusal(checkSettlement(proposal(honest(13), 13), records(), policy));
    expect(r.reason).toMatch(/more than 3× this signer's node estimate of 4/);
  });

  it('a fee that does not match the stated rate is refused', () => {
    expect(refusal(checkSettlement(proposal(honest(5), 6), records(), policy)).code).toBe(
      'mismatch',
    );
  });

  it('an unexpected input is refused', () => {
    const stranger = chainOutput(custody, 9, 70_000n);
    const s = honest(5, theQueue, head, { current, topUps: [topUp, stranger] });
    expect(refusal(checkSettlement(proposal(s), records(), policy))).toMatchObject({
      code: 'unexpected-input',
    });
  });

  it('a stale settlement (input 0 is not the current custody output) is refused', () => {
    const old = chainOutput(custody, 5, 6_000_000n);
    const s = honest(5, theQueue, head, { current: old, topUps: [] });
    const own = records({ custodyOutputs: new Map([current, topUp, old].map((o) => [key(o), o])) });
    expect(refusal(checkSettlement(proposal(s), own, policy))).toMatchObject({
      code: 'not-current-custody-output',
    });
  });

  it('a replayed old settlement (its custody output already spent) is refused', () => {
    const spent = chainOutput(custody, 6, 6_000_000n);
    const s = honest(5, theQueue, head, { current: spent, topUps: [] });
    expect(refusal(checkSettlement(proposal(s), records(), policy)).code).toBe(
      'not-current-custody-output',
    );
  });

  it('a second, different settlement for a custody output already bound is refused', () => {
    const signed = honest();
    const other = honest(5, theQueue.slice(0, 2));
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    expect(refusal(checkSettlement(proposal(other), bound, policy))).toMatchObject({
      code: 'second-settlement',
    });
  });

  it('the same bound settlement again is accepted (a coordinator retrying after a crash)', () => {
    const signed = honest();
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    const r = checkSettlement(proposal(signed), bound, policy);
    expect(r.ok && r.kind).toBe('same');
  });

  it('a fee bump of the bound settlement is accepted', () => {
    const signed = honest();
    const bump = buildFeeBump(
      signed,
      { feeRateSatPerVb: 9, incrementalRelayFeeSatPerVb: 1 },
      policy.settlement,
    );
    if (bump.status !== 'built') throw new Error(bump.reason);
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    const r = checkSettlement(proposal(bump), bound, policy);
    expect(r.ok && r.kind).toBe('fee-bump');
  });

  it('a fee bump that changes a payout is refused', () => {
    const signed = honest();
    const bad = tampered(signed, (o) => {
      o.changeSats -= 2_000n;
      o.feeSats += 1_000n;
      o.paid[0] = { ...(o.paid[0] as QueuedWithdrawal), amountSats: 11_000n };
    });
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    const r = refusal(checkSettlement(proposal(bad), bound, policy));
    expect(r.code).toBe('second-settlement');
    expect(r.reason).toMatch(/not a fee bump .*: output 2 pays 11000 sats, expected 10000/);
  });

  it('a fee bump below the BIP125 increase is refused', () => {
    const signed = honest();
    const cheap = tampered(signed, (o) => {
      o.changeSats -= 1n;
      o.feeSats += 1n;
    });
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    expect(refusal(checkSettlement(proposal(cheap), bound, policy)).reason).toMatch(
      /must pay at least/,
    );
  });

  it('a "bump" below a bump it already signed is refused (BIP125 against the newest version)', () => {
    const signed = honest();
    const bump = (rate: number) => {
      const b = buildFeeBump(
        signed,
        { feeRateSatPerVb: rate, incrementalRelayFeeSatPerVb: 1 },
        policy.settlement,
      );
      if (b.status !== 'built') throw new Error(b.reason);
      return b;
    };
    const high = bump(12);
    const low = bump(8);
    const bound = records({
      binding: {
        custodyOutpoint: key(current),
        settlement: signed,
        versionFeesSats: [signed.feeSats, high.feeSats],
      },
    });
    expect(refusal(checkSettlement(proposal(low), bound, policy)).reason).toMatch(
      /must pay at least/,
    );
    // the version it signed is asked for again (its next input): accepted
    const again = checkSettlement(proposal(high), bound, policy);
    expect(again.ok && again.kind).toBe('fee-bump');
  });

  it('a sighash type other than the one it derives (ALL for P2WSH) is refused', () => {
    const p = proposal(honest());
    p.psbt.updateInput(0, { sighashType: 0x83 });
    expect(refusal(checkSettlement(p, records(), policy))).toMatchObject({ code: 'sighash-type' });
  });

  it('a fee rate below the relay minimum is refused (it would bind the custody output to a transaction no node relays)', () => {
    const low = honest(0.5, theQueue);
    expect(refusal(checkSettlement(proposal(low, 0.5), records(), policy)).reason).toMatch(
      /below the minimum of 1/,
    );
  });

  it('a fee bump far above its own node estimate is refused, though under the cap', () => {
    const signed = honest();
    const bump = buildFeeBump(
      signed,
      { feeRateSatPerVb: 45, incrementalRelayFeeSatPerVb: 1 },
      policy.settlement,
    );
    if (bump.status !== 'built') throw new Error(bump.reason);
    const bound = records({ binding: { custodyOutpoint: key(current), settlement: signed } });
    expect(refusal(checkSettlement(proposal(bump), bound, policy)).reason).toMatch(
      /more than 3× this signer's node estimate/,
    );
  });

  it('the sighashes come from its own rebuild, not from prevouts the PSBT claims', () => {
    const s = honest();
    const p = proposal(s);
    p.psbt.updateInput(0, {});
    (p.psbt.data.inputs[0] as { witnessUtxo: { value: bigint } }).witnessUtxo.value = 1n;
    const r = checkSettlement(p, records(), policy);
    if (!r.ok) throw new Error(r.reason);
    expect(toHex(r.sighashes[0] as Uint8Array)).toBe(
      toHex(custody.sighash(s.unsignedTx, 0, s.prevouts)),
    );
  });

  it('inputs in another order are refused', () => {
    const reordered = tampered(honest(), (o) => {
      o.inputs = [...o.inputs].reverse();
    });
    expect(refusal(checkSettlement(proposal(reordered), records(), policy)).code).toBe(
      'not-current-custody-output',
    );
  });
});
