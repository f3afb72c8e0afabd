/**
 * Fee bumps by replacement (BIP125). A bump keeps the inputs, the payouts and the commitment and
 * takes the extra fee from the change only, so approvals over inputs, payouts and commitment
 * stay valid and no party has to trust a new payout list.
 *
 * BIP125 rule 4: "The replacement transaction must also pay for its own bandwidth at or above
 * the rate set by the node's minimum relay fee setting": new fee ≥ old fee + incremental relay
 * fee × the replacement's size. Rule 3: its absolute fee is at least the original's.
 */
import {
  assemble,
  type BuiltSettlement,
  type HeldSettlement,
  type SettlementPolicy,
} from './build.ts';
import { feeFor, satPerKvB } from './fees.ts';

export interface FeeBumpOpts {
  /** The rate wanted now (for example the node's current estimate), sat/vB. */
  feeRateSatPerVb: number;
  /** The node's incremental relay fee, sat/vB (Bitcoin Core's default is 1). */
  incrementalRelayFeeSatPerVb: number;
}

/** The fee a replacement of `original` must pay at least, for its own (worst-case) size. */
export function minimumBumpFee(
  original: BuiltSettlement,
  incrementalRelayFeeSatPerVb: number,
): bigint {
  const incremental = satPerKvB(incrementalRelayFeeSatPerVb, 'incrementalRelayFeeSatPerVb');
  return original.feeSats + feeFor(incremental, original.vsize);
}

export function buildFeeBump(
  original: BuiltSettlement,
  opts: FeeBumpOpts,
  policy: SettlementPolicy,
): BuiltSettlement | HeldSettlement {
  const wanted = feeFor(satPerKvB(opts.feeRateSatPerVb), original.vsize);
  const fee = maxBig(wanted, minimumBumpFee(original, opts.incrementalRelayFeeSatPerVb));
  const capByRate = feeFor(
    satPerKvB(policy.maxFeeRateSatPerVb, 'maxFeeRateSatPerVb'),
    original.vsize,
  );
  const cap = minBig(capByRate, policy.maxFeeSats);
  if (fee > cap) {
    return {
      status: 'held',
      code: 'fee-cap',
      reason: `a replacement must pay at least ${fee} sats; the cap allows ${cap} sats`,
    };
  }
  return rebuildWithFee(original, fee, policy);
}

/**
 * `original` paying `feeSats` instead, from its change: how a stored fee bump is rebuilt.
 * Held when the change would fall under its dust limit.
 */
export function rebuildWithFee(
  original: BuiltSettlement,
  fee: bigint,
  policy: SettlementPolicy,
): BuiltSettlement | HeldSettlement {
  const changeSats = original.changeSats - (fee - original.feeSats);
  const dust = changeDust(original, policy);
  if (changeSats < dust) {
    return {
      status: 'held',
      code: 'insufficient-funds',
      reason: `a replacement paying ${fee} sats leaves ${changeSats} sats of change, under the dust limit of ${dust}`,
    };
  }
  return assemble({
    inputs: original.inputs,
    paid: original.paid,
    commitment: original.commitment,
    feeSats: fee,
    change: original.changeScriptPubKey,
    changeSats,
    policy,
    waiting: original.waiting,
    weight: original.weight,
    feeRateSatPerVb: Number((fee * 1000n) / BigInt(original.vsize)) / 1000,
  });
}

function changeDust(original: BuiltSettlement, policy: SettlementPolicy): bigint {
  return policy.network.dust.dustLimitSats[original.changeScriptType];
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
