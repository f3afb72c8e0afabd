/**
 * The deterministic settlement builder. Everything about the unsigned transaction follows from
 * the arguments, so a signer holding the same records rebuilds it byte for byte:
 *
 *   inputs   0: the current custody output; then top-ups paid to the custody script, sorted by
 *               outpoint (txid as displayed, then vout); every sequence 0xfffffffd (BIP125 RBF)
 *   outputs  0: the new custody output (change); 1: the commitment (OP_RETURN);
 *            then the oldest withdrawals in queue order, as many as fit one standard
 *            transaction, `maxWithdrawals` and the fee cap
 *   version 2, locktime 0; fee = ceil(rate × worst-case vsize / 1000) with the rate in sat/kvB
 *
 * A settlement the custody balance cannot pay is held with a reason, never partly built.
 */
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { InvalidInputError } from '../shared/errors.ts';
import type { ScriptType } from '../shared/networks.ts';
import type { ChainOutput } from './backend/types.ts';
import { type Commitment, commitmentScript } from './commitment.ts';
import { equalBytes, toBytes } from './custody-types/keys.ts';
import type { CustodyType, Prevout } from './custody-types/types.ts';
import { type FeePolicy, feeFor, satPerKvB } from './fees.ts';
import type { SettlementNetwork } from './networks.ts';
import {
  inputWeight,
  MAX_STANDARD_TX_WEIGHT,
  outputBytes,
  vsizeOf,
  worstCaseWeight,
} from './size.ts';
import {
  type BridgeWithdrawal,
  classifyScript,
  parseWithdrawalQueue,
  type QueuedWithdrawal,
} from './withdrawals.ts';

/** BIP125: a sequence below 0xfffffffe signals replaceability; the highest such value. */
export const RBF_SEQUENCE = 0xfffffffd;
export const SETTLEMENT_TX_VERSION = 2;
export const DEFAULT_MAX_TOP_UPS = 20;

export interface CustodyOutputs {
  /** The previous settlement's custody output (or the first funding of the custody address). */
  current: ChainOutput;
  /** Other outputs paid to the custody script since, spent alongside it. */
  topUps: readonly ChainOutput[];
}

/**
 * What the batch side commits. `firstWithdrawalIndex` is the oldest unpaid queue index (the
 * previous settlement's first + count); the builder checks the queue starts there and fills in
 * how many it pays.
 */
export type CommitmentHead = Omit<Commitment, 'withdrawalCount'>;

export interface SettlementPolicy extends FeePolicy {
  network: SettlementNetwork;
  custody: CustodyType;
  /** Output 0's script: the custody script unless a key rotation agreed the next one. */
  changeScriptPubKey?: Uint8Array;
  maxWithdrawals: number;
  /** Top-ups spent per settlement at most (default DEFAULT_MAX_TOP_UPS). */
  maxTopUps?: number;
  /** At most MAX_STANDARD_TX_WEIGHT. */
  maxWeight?: number;
}

export interface BuiltSettlement {
  status: 'built';
  psbt: Psbt;
  unsignedTx: Transaction;
  /** Segwit: the txid does not change when signatures are added. */
  txid: string;
  inputs: ChainOutput[];
  prevouts: Prevout[];
  paid: QueuedWithdrawal[];
  /** Queue entries left for the next settlement. */
  waiting: number;
  commitment: Commitment;
  feeRateSatPerVb: number;
  feeSats: bigint;
  changeSats: bigint;
  changeScriptPubKey: Uint8Array;
  changeScriptType: ScriptType;
  /** Worst-case signed weight and virtual size the fee was sized for. */
  weight: number;
  vsize: number;
}

export interface HeldSettlement {
  status: 'held';
  code: 'insufficient-funds' | 'fee-cap';
  reason: string;
}

export type SettlementResult = BuiltSettlement | HeldSettlement;

export function buildSettlement(
  custodyOutputs: CustodyOutputs,
  withdrawalQueue: readonly BridgeWithdrawal[],
  commitment: CommitmentHead,
  feeRateSatPerVb: number,
  policy: SettlementPolicy,
): SettlementResult {
  const rate = checkRate(feeRateSatPerVb, policy);
  const inputs = orderInputs(custodyOutputs, policy.custody, rate, policy.maxTopUps);
  const queue = parseWithdrawalQueue(withdrawalQueue, policy.network);
  const change = changeScript(policy);
  // Encoding the commitment checks every field of the head; its length is the output's size.
  const commitmentLength = commitmentScript(withRange(commitment, 0)).length;
  const head = commitment;
  checkQueueStart(head, queue);
  const fixedOutputsBytes = outputBytes(change.length) + outputBytes(commitmentLength);
  const fit = fitWithdrawals(inputs.length, fixedOutputsBytes, queue, rate, policy);
  const feeSats = feeFor(rate, vsizeOf(fit.weight));
  if (feeSats > policy.maxFeeSats) {
    return held(
      'fee-cap',
      `the fee of ${feeSats} sats is above the cap of ${policy.maxFeeSats} sats`,
    );
  }
  const paid = queue.slice(0, fit.count);
  const full = withRange(head, paid.length);
  const funds = fund(inputs, paid, feeSats, change, policy);
  if (funds.status === 'held') return funds;
  return assemble({
    inputs,
    paid,
    commitment: full,
    feeSats,
    change,
    changeSats: funds.changeSats,
    policy,
    waiting: queue.length - paid.length,
    weight: fit.weight,
    feeRateSatPerVb,
  });
}

function held(code: HeldSettlement['code'], reason: string): HeldSettlement {
  return { status: 'held', code, reason };
}

function outpointKey(o: ChainOutput): string {
  return `${o.txid}:${o.vout}`;
}

function checkOutput(o: ChainOutput, field: string, custody: CustodyType): void {
  if (!/^[0-9a-f]{64}$/.test(o.txid)) {
    throw new InvalidInputError(`${field}.txid: expected 64 lower-case hex digits`, {
      field: `${field}.txid`,
    });
  }
  if (!Number.isInteger(o.vout) || o.vout < 0 || o.vout > 0xffffffff) {
    throw new InvalidInputError(`${field}.vout: expected an output index`, {
      field: `${field}.vout`,
    });
  }
  if (typeof o.valueSats !== 'bigint' || o.valueSats <= 0n) {
    throw new InvalidInputError(`${field}.valueSats: expected a positive amount`, {
      field: `${field}.valueSats`,
    });
  }
  if (!equalBytes(toBytes(o.scriptPubKey, `${field}.scriptPubKey`), custody.scriptPubKey)) {
    throw new InvalidInputError(`${field}: does not pay the custody script`, {
      field: `${field}.scriptPubKey`,
    });
  }
}

/**
 * Input 0 the current custody output, then the top-ups spent this time, by outpoint; no
 * outpoint twice. Anyone can pay the custody address, so a top-up is spent only when it is
 * worth more than the fee it adds at this rate (dust sent to the custody address would
 * otherwise cost custody money and could fill the transaction), and at most `maxTopUps` of
 * them, the largest first (ties by outpoint): the same rule every party applies.
 */
export function orderInputs(
  outputs: CustodyOutputs,
  custody: CustodyType,
  rate: bigint,
  maxTopUps = DEFAULT_MAX_TOP_UPS,
): ChainOutput[] {
  checkOutput(outputs.current, 'custodyOutputs.current', custody);
  outputs.topUps.forEach((o, i) => {
    checkOutput(o, `custodyOutputs.topUps[${i}]`, custody);
  });
  const inputFee = feeFor(rate, vsizeOf(inputWeight(custody.maxWitnessBytes)));
  const topUps = outputs.topUps
    .filter((o) => o.valueSats > inputFee)
    .sort((a, b) =>
      a.valueSats === b.valueSats ? compareOutpoints(a, b) : a.valueSats > b.valueSats ? -1 : 1,
    )
    .slice(0, maxTopUps)
    .sort(compareOutpoints);
  const all = [outputs.current, ...topUps];
  const seen = new Set<string>();
  for (const o of all) {
    if (seen.has(outpointKey(o))) {
      throw new InvalidInputError(`custodyOutputs: ${outpointKey(o)} appears twice`, {
        field: 'custodyOutputs',
      });
    }
    seen.add(outpointKey(o));
  }
  return all;
}

export function compareOutpoints(a: ChainOutput, b: ChainOutput): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.vout - b.vout;
}

function checkRate(feeRateSatPerVb: number, policy: SettlementPolicy): bigint {
  const rate = satPerKvB(feeRateSatPerVb);
  if (rate > satPerKvB(policy.maxFeeRateSatPerVb, 'maxFeeRateSatPerVb')) {
    throw new InvalidInputError(
      `feeRate: ${feeRateSatPerVb} sat/vB is above the cap of ${policy.maxFeeRateSatPerVb} sat/vB`,
      { field: 'feeRate' },
    );
  }
  return rate;
}

function changeScript(policy: SettlementPolicy): Uint8Array {
  const script = policy.changeScriptPubKey ?? policy.custody.scriptPubKey;
  if (classifyScript(script) === null) {
    throw new InvalidInputError('changeScriptPubKey: not a standard output script', {
      field: 'changeScriptPubKey',
    });
  }
  return script;
}

/** The queue must start at the oldest unpaid index: a skipped withdrawal is never settled past. */
function checkQueueStart(head: CommitmentHead, queue: readonly QueuedWithdrawal[]): void {
  const first = queue[0];
  if (first !== undefined && first.index !== head.firstWithdrawalIndex) {
    throw new InvalidInputError(
      `withdrawalQueue[0]: index ${first.index}, expected the oldest unpaid index ${head.firstWithdrawalIndex}`,
      { field: 'withdrawalQueue[0].index' },
    );
  }
}

function withRange(head: CommitmentHead, count: number): Commitment {
  return { ...head, withdrawalCount: count };
}

interface Fit {
  count: number;
  weight: number;
}

/** The oldest withdrawals that fit the weight limit, `maxWithdrawals` and the absolute fee cap. */
function fitWithdrawals(
  inputCount: number,
  fixedOutputsBytes: number,
  queue: readonly QueuedWithdrawal[],
  rate: bigint,
  policy: SettlementPolicy,
): Fit {
  const maxWeight = Math.min(policy.maxWeight ?? MAX_STANDARD_TX_WEIGHT, MAX_STANDARD_TX_WEIGHT);
  const shape = {
    inputCount,
    witnessBytesPerInput: policy.custody.maxWitnessBytes,
    outputCount: 2,
    outputsBytes: fixedOutputsBytes,
  };
  let weight = worstCaseWeight(shape);
  if (weight > maxWeight) {
    throw new InvalidInputError(
      `custodyOutputs: ${inputCount} inputs alone exceed the weight limit`,
      { field: 'custodyOutputs' },
    );
  }
  let count = 0;
  for (const w of queue) {
    if (count >= policy.maxWithdrawals) break;
    const next = worstCaseWeight({
      ...shape,
      outputCount: shape.outputCount + 1,
      outputsBytes: shape.outputsBytes + outputBytes(w.scriptPubKey.length),
    });
    if (next > maxWeight || feeFor(rate, vsizeOf(next)) > policy.maxFeeSats) break;
    shape.outputCount += 1;
    shape.outputsBytes += outputBytes(w.scriptPubKey.length);
    weight = next;
    count += 1;
  }
  return { count, weight };
}

interface Funded {
  status: 'funded';
  changeSats: bigint;
}

/** Inputs must cover payouts, fee and a change output at or above its dust limit. */
function fund(
  inputs: readonly ChainOutput[],
  paid: readonly QueuedWithdrawal[],
  feeSats: bigint,
  change: Uint8Array,
  policy: SettlementPolicy,
): Funded | HeldSettlement {
  const have = inputs.reduce((sum, o) => sum + o.valueSats, 0n);
  const payouts = paid.reduce((sum, w) => sum + w.amountSats, 0n);
  const changeType = classifyScript(change);
  const dust = changeType === null ? 0n : policy.network.dust.dustLimitSats[changeType];
  const changeSats = have - payouts - feeSats;
  if (changeSats < dust) {
    return held(
      'insufficient-funds',
      `custody holds ${have} sats; paying the ${paid.length} oldest withdrawals needs ${payouts + feeSats + dust} sats (payouts ${payouts}, fee ${feeSats}, change at least ${dust})`,
    );
  }
  return { status: 'funded', changeSats };
}

export interface AssembleOpts {
  inputs: ChainOutput[];
  paid: QueuedWithdrawal[];
  commitment: Commitment;
  feeSats: bigint;
  change: Uint8Array;
  changeSats: bigint;
  policy: SettlementPolicy;
  waiting: number;
  weight: number;
  feeRateSatPerVb: number;
}

export function assemble(o: AssembleOpts): BuiltSettlement {
  const psbt = new Psbt({ network: o.policy.network.bitcoinjs });
  psbt.setVersion(SETTLEMENT_TX_VERSION);
  psbt.setLocktime(0);
  // Outputs first: the same bytes, but Psbt.addOutput re-checks every input already added.
  psbt.addOutput({ script: o.change, value: o.changeSats });
  psbt.addOutput({ script: commitmentScript(o.commitment), value: 0n });
  for (const w of o.paid) psbt.addOutput({ script: w.scriptPubKey, value: w.amountSats });
  const fields = o.policy.custody.psbtFields();
  for (const input of o.inputs) {
    psbt.addInput({
      hash: input.txid,
      index: input.vout,
      sequence: RBF_SEQUENCE,
      witnessUtxo: { script: o.policy.custody.scriptPubKey, value: input.valueSats },
      ...fields,
    });
  }
  const unsignedTx = unsignedTransaction(psbt);
  return {
    status: 'built',
    psbt,
    unsignedTx,
    txid: unsignedTx.getId(),
    inputs: o.inputs,
    prevouts: o.inputs.map((i) => ({
      scriptPubKey: o.policy.custody.scriptPubKey,
      valueSats: i.valueSats,
    })),
    paid: o.paid,
    waiting: o.waiting,
    commitment: o.commitment,
    feeRateSatPerVb: o.feeRateSatPerVb,
    feeSats: o.feeSats,
    changeSats: o.changeSats,
    changeScriptPubKey: o.change,
    changeScriptType: classifyScript(o.change) as ScriptType,
    weight: o.weight,
    vsize: vsizeOf(o.weight),
  };
}

/** The PSBT's global unsigned transaction (BIP174 PSBT_GLOBAL_UNSIGNED_TX). */
export function unsignedTransaction(psbt: Psbt): Transaction {
  return Transaction.fromBuffer(psbt.data.getTransaction());
}
