/**
 * checkSettlement: what a signer decides before it signs, from its own records only (DESIGN.md
 * invariant 3). The coordinator's proposal is an unsigned PSBT and a fee rate; everything the
 * signer signs is derived here: it rebuilds the settlement with the same deterministic builder
 * from the custody outputs it knows, the withdrawal queue of its own execution and the
 * commitment of its own newest batch, compares byte for byte, and computes every sighash
 * itself. A custody output it already signed a settlement for may only be signed again for
 * that same transaction or for a fee bump of it (same inputs, payouts and commitment, lower
 * change, a BIP125 fee increase, under the cap).
 *
 * An invalid input (a malformed PSBT) throws; a refused proposal is a value naming its reason.
 */
import type { Psbt, Transaction } from 'bitcoinjs-lib';
import type { ChainOutput } from './backend/types.ts';
import {
  type BuiltSettlement,
  buildSettlement,
  type CommitmentHead,
  type SettlementPolicy,
  unsignedTransaction,
} from './build.ts';
import { minimumBumpFee, rebuildWithFee } from './bump.ts';
import { firstDifference } from './compare.ts';
import { inputOutpoint } from './custody-types/keys.ts';
import { feeFor, satPerKvB } from './fees.ts';
import type { BridgeWithdrawal } from './withdrawals.ts';

export interface SettlementProposal {
  psbt: Psbt;
  /** The rate the coordinator built the first version at, sat/vB. */
  feeRateSatPerVb: number;
}

/** The settlement this signer already signed for a custody output (its binding). */
export interface SignedBinding {
  custodyOutpoint: string;
  settlement: BuiltSettlement;
  /** Fees of the versions of it already signed (the original's included, when known). */
  versionFeesSats?: readonly bigint[];
}

export interface SignerRecords {
  /** Custody outputs the signer knows (its own node, its operator's registrations, change of
   *  settlements it signed), keyed by `txid:vout`. */
  custodyOutputs: ReadonlyMap<string, ChainOutput>;
  /** The outpoint the signer holds as the current custody output (input 0 must be it). */
  currentCustodyOutpoint: string;
  /** The withdrawal queue from its own execution, from its own next unpaid index. */
  withdrawalQueue: readonly BridgeWithdrawal[];
  /** Its own newest batch and state root, and its own next unpaid index. */
  commitment: CommitmentHead;
  /** Its own node's fee estimate (sat/vB), null when it has none. */
  nodeFeeEstimateSatPerVb: number | null;
  binding: SignedBinding | null;
}

export interface CheckPolicy {
  settlement: SettlementPolicy;
  /** A rate above estimate × this factor is refused (when the signer's node has an estimate). */
  maxEstimateFactor: number;
  incrementalRelayFeeSatPerVb: number;
}

export type RefusalCode =
  | 'sighash-type'
  | 'fee-rate'
  | 'unexpected-input'
  | 'not-current-custody-output'
  | 'held'
  | 'mismatch'
  | 'second-settlement';

export type CheckResult =
  | {
      ok: true;
      kind: 'new' | 'same' | 'fee-bump';
      settlement: BuiltSettlement;
      /** What each input's signers sign, derived here. */
      sighashes: Uint8Array[];
    }
  | { ok: false; code: RefusalCode; reason: string };

function refuse(code: RefusalCode, reason: string): CheckResult {
  return { ok: false, code, reason };
}

function outpointOf(tx: Transaction, i: number): string {
  const input = tx.ins[i];
  return input === undefined ? '' : inputOutpoint(input);
}

export function checkSettlement(
  proposal: SettlementProposal,
  records: SignerRecords,
  policy: CheckPolicy,
): CheckResult {
  const tx = unsignedTransaction(proposal.psbt);
  const problem = checkSighashTypes(proposal.psbt, policy) ?? checkRate(proposal, records, policy);
  if (problem !== null) return problem;
  const bound = records.binding;
  if (bound !== null && bound.custodyOutpoint === outpointOf(tx, 0)) {
    return checkAgainstBinding(tx, bound, records, policy);
  }
  return checkNew(tx, proposal, records, policy);
}

/**
 * SIGHASH_DEFAULT for Taproot inputs, SIGHASH_ALL for P2WSH, exactly the type the signer
 * derives its sighash with: a request for any other type (one that signs less) is refused.
 */
function checkSighashTypes(psbt: Psbt, policy: CheckPolicy): CheckResult | null {
  const wanted = policy.settlement.custody.sighashType;
  for (const [i, input] of psbt.data.inputs.entries()) {
    const t = input.sighashType;
    if (t !== undefined && t !== wanted) {
      return refuse(
        'sighash-type',
        `input ${i} asks for sighash type ${t}; only ${wanted === 0 ? 'DEFAULT' : 'ALL'} is signed`,
      );
    }
  }
  return null;
}

function checkRate(
  proposal: SettlementProposal,
  records: SignerRecords,
  policy: CheckPolicy,
): CheckResult | null {
  const rate = proposal.feeRateSatPerVb;
  if (!(rate >= policy.settlement.minFeeRateSatPerVb)) {
    // A transaction nodes will not relay would still bind the custody output to it.
    return refuse(
      'fee-rate',
      `fee rate ${rate} sat/vB is below the minimum of ${policy.settlement.minFeeRateSatPerVb}`,
    );
  }
  if (rate > policy.settlement.maxFeeRateSatPerVb) {
    return refuse(
      'fee-rate',
      `fee rate ${rate} sat/vB is above the cap of ${policy.settlement.maxFeeRateSatPerVb}`,
    );
  }
  const estimate = records.nodeFeeEstimateSatPerVb;
  if (estimate !== null && rate > estimate * policy.maxEstimateFactor) {
    return refuse(
      'fee-rate',
      `fee rate ${rate} sat/vB is more than ${policy.maxEstimateFactor}× this signer's node estimate of ${estimate}`,
    );
  }
  return null;
}

/** Rebuild from the signer's records with the inputs proposed (each one the signer knows). */
function checkNew(
  tx: Transaction,
  proposal: SettlementProposal,
  records: SignerRecords,
  policy: CheckPolicy,
): CheckResult {
  const outpoints = tx.ins.map((_, i) => outpointOf(tx, i));
  if (outpoints[0] !== records.currentCustodyOutpoint) {
    return refuse(
      'not-current-custody-output',
      `input 0 spends ${outpoints[0]}, not the current custody output ${records.currentCustodyOutpoint}`,
    );
  }
  const known = outpoints.map((o) => records.custodyOutputs.get(o));
  const unknown = outpoints.findIndex((_, i) => known[i] === undefined);
  if (unknown !== -1)
    return refuse(
      'unexpected-input',
      `input ${unknown} spends ${outpoints[unknown]}, not a custody output this signer knows`,
    );
  const [current, ...topUps] = known as ChainOutput[];
  const rebuilt = buildSettlement(
    { current: current as ChainOutput, topUps },
    records.withdrawalQueue,
    records.commitment,
    proposal.feeRateSatPerVb,
    policy.settlement,
  );
  if (rebuilt.status === 'held') return refuse('held', rebuilt.reason);
  const difference = firstDifference(tx, rebuilt.unsignedTx);
  if (difference !== null) return refuse('mismatch', difference);
  return accepted('new', rebuilt, policy);
}

/**
 * BIP125 against the newest version signed, not only the original: a "bump" below a bump it
 * already signed would be a replacement no node relays. A version it signed before is asked for
 * again (the next input's signature) at its own fee.
 */
function bumpMinimum(
  original: BuiltSettlement,
  versionFees: readonly bigint[],
  fee: bigint,
  policy: CheckPolicy,
): bigint {
  if (versionFees.includes(fee)) return fee;
  let newest = original.feeSats;
  for (const f of versionFees) if (f > newest) newest = f;
  // minimumBumpFee is the original's fee plus the incremental relay fee for its size.
  return minimumBumpFee(original, policy.incrementalRelayFeeSatPerVb) - original.feeSats + newest;
}

/**
 * The custody output is bound to a settlement this signer signed: only that transaction again
 * or a fee bump of it. The bump is recomputed from the bound settlement and the fee implied by
 * the proposal's change, so any other change (a payout, the commitment, an input) is a mismatch.
 */
function checkAgainstBinding(
  tx: Transaction,
  bound: SignedBinding,
  records: SignerRecords,
  policy: CheckPolicy,
): CheckResult {
  const original = bound.settlement;
  if (firstDifference(tx, original.unsignedTx) === null) return accepted('same', original, policy);
  const change = tx.outs[0]?.value;
  if (change === undefined || change >= original.changeSats) {
    return refuse(
      'second-settlement',
      `${bound.custodyOutpoint} is bound to settlement ${original.txid}; a replacement must lower only its change`,
    );
  }
  const fee = original.feeSats + (original.changeSats - change);
  const minimum = bumpMinimum(original, bound.versionFeesSats ?? [], fee, policy);
  if (fee < minimum) {
    return refuse(
      'second-settlement',
      `a replacement must pay at least ${minimum} sats (BIP125); this one pays ${fee}`,
    );
  }
  const cap = feeFor(
    satPerKvB(policy.settlement.maxFeeRateSatPerVb, 'maxFeeRateSatPerVb'),
    original.vsize,
  );
  if (fee > cap || fee > policy.settlement.maxFeeSats) {
    return refuse('fee-rate', `the replacement's fee of ${fee} sats is above the cap`);
  }
  // A bump pays what its node's estimate allows (or the BIP125 minimum if that is more).
  const estimate = records.nodeFeeEstimateSatPerVb;
  if (estimate !== null) {
    const allowedRate = Math.ceil(estimate * policy.maxEstimateFactor * 1000) / 1000;
    const allowed = feeFor(satPerKvB(allowedRate, 'estimate'), original.vsize);
    if (fee > (allowed > minimum ? allowed : minimum)) {
      return refuse(
        'fee-rate',
        `the replacement's fee of ${fee} sats is more than ${policy.maxEstimateFactor}× this signer's node estimate of ${estimate} sat/vB allows`,
      );
    }
  }
  const bump = rebuildWithFee(original, fee, policy.settlement);
  if (bump.status === 'held') return refuse('held', bump.reason);
  const difference = firstDifference(tx, bump.unsignedTx);
  if (difference !== null) {
    return refuse(
      'second-settlement',
      `not a fee bump of the settlement ${original.txid} bound to ${bound.custodyOutpoint}: ${difference}`,
    );
  }
  return accepted('fee-bump', bump, policy);
}

function accepted(
  kind: 'new' | 'same' | 'fee-bump',
  settlement: BuiltSettlement,
  policy: CheckPolicy,
): CheckResult {
  const custody = policy.settlement.custody;
  const sighashes = settlement.inputs.map((_, i) =>
    custody.sighash(settlement.unsignedTx, i, settlement.prevouts),
  );
  return { ok: true, kind, settlement, sighashes };
}
