/**
 * Fee policy: which rate a settlement pays and what it may never exceed. Rates are carried as
 * integer sat per 1,000 vB (Bitcoin Core's CFeeRate unit) so every party computes the same fee
 * from the same rate: fee = ceil(rate × vsize / 1000).
 */
import { InvalidInputError } from '../shared/errors.ts';

export interface FeePolicy {
  /** Highest rate a settlement may pay, sat/vB. */
  maxFeeRateSatPerVb: number;
  /** Highest absolute fee, sats. */
  maxFeeSats: bigint;
  /** Rate used when the node cannot estimate (a fresh regtest chain, the offline backend). */
  fallbackFeeRateSatPerVb: number;
  /** Lowest rate worth paying (the node's minimum relay fee), sat/vB. */
  minFeeRateSatPerVb: number;
}

/** sat/vB (up to three decimals) → integer sat/kvB. */
export function satPerKvB(rateSatPerVb: number, field = 'feeRate'): bigint {
  const milli = Math.round(rateSatPerVb * 1000);
  if (
    !Number.isFinite(rateSatPerVb) ||
    rateSatPerVb <= 0 ||
    Math.abs(milli - rateSatPerVb * 1000) > 1e-6
  ) {
    throw new InvalidInputError(
      `${field}: expected a positive rate in sat/vB with at most 3 decimals`,
      {
        field,
      },
    );
  }
  return BigInt(milli);
}

/** CFeeRate::GetFee rounds down; we round up so the paid rate is never below the stated one. */
export function feeFor(rateSatPerKvB: bigint, vsize: number): bigint {
  return (rateSatPerKvB * BigInt(vsize) + 999n) / 1000n;
}

export interface ChosenRate {
  rateSatPerVb: number;
  source: 'estimate' | 'fallback' | 'capped' | 'minimum';
}

/** The node's estimate when it has one, else the fallback; never above the cap or below the floor. */
export function chooseFeeRate(estimateSatPerVb: number | null, policy: FeePolicy): ChosenRate {
  if (estimateSatPerVb === null || !Number.isFinite(estimateSatPerVb)) {
    return { rateSatPerVb: policy.fallbackFeeRateSatPerVb, source: 'fallback' };
  }
  // Three decimals, rounded up: the unit every party computes fees in.
  const rounded = Math.ceil(estimateSatPerVb * 1000) / 1000;
  if (rounded > policy.maxFeeRateSatPerVb) {
    return { rateSatPerVb: policy.maxFeeRateSatPerVb, source: 'capped' };
  }
  if (rounded < policy.minFeeRateSatPerVb) {
    return { rateSatPerVb: policy.minFeeRateSatPerVb, source: 'minimum' };
  }
  return { rateSatPerVb: rounded, source: 'estimate' };
}
