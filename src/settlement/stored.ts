/**
 * A settlement's builder arguments as stored text (custody outputs, the withdrawal queue offered,
 * the fee rate, the policy limits, the commitment head), and the rebuild from them: both the
 * coordinator's Settlement rows and a signer's records of what it signed keep these, never the
 * transaction itself, so a stored settlement is always the builder's output.
 */
import type { ChainOutput } from './backend/types.ts';
import {
  buildSettlement,
  type CommitmentHead,
  type CustodyOutputs,
  DEFAULT_MAX_TOP_UPS,
  type SettlementPolicy,
  type SettlementResult,
} from './build.ts';
import type { BridgeWithdrawal } from './withdrawals.ts';

export interface ChainOutputJson extends Omit<ChainOutput, 'valueSats'> {
  valueSats: string;
}

export interface StoredInputs {
  custodyOutputs: { current: ChainOutputJson; topUps: ChainOutputJson[] };
  withdrawals: BridgeWithdrawal[];
  /** The rate of the first version; later versions (fee bumps) keep the row's feeSats. */
  feeRateSatPerVb: number;
  /** The policy it was built under: a later change of defaults must not stop it reloading. */
  policy?: StoredPolicy;
}

export interface StoredPolicy {
  maxWithdrawals: number;
  maxTopUps?: number;
  maxWeight?: number;
  maxFeeRateSatPerVb: number;
  maxFeeSats: string;
  fallbackFeeRateSatPerVb: number;
  minFeeRateSatPerVb: number;
}

function storePolicy(p: SettlementPolicy): StoredPolicy {
  return {
    maxWithdrawals: p.maxWithdrawals,
    maxTopUps: p.maxTopUps ?? DEFAULT_MAX_TOP_UPS,
    ...(p.maxWeight === undefined ? {} : { maxWeight: p.maxWeight }),
    maxFeeRateSatPerVb: p.maxFeeRateSatPerVb,
    maxFeeSats: p.maxFeeSats.toString(),
    fallbackFeeRateSatPerVb: p.fallbackFeeRateSatPerVb,
    minFeeRateSatPerVb: p.minFeeRateSatPerVb,
  };
}

/** The current network and custody type with the stored limits. */
export function policyOf(stored: StoredInputs, current: SettlementPolicy): SettlementPolicy {
  if (stored.policy === undefined) return current;
  return { ...current, ...stored.policy, maxFeeSats: BigInt(stored.policy.maxFeeSats) };
}

export interface StoredHead {
  chainId: string;
  batchNumber: string;
  stateRoot: string;
  firstWithdrawalIndex: string;
}

export function storeInputs(
  outputs: CustodyOutputs,
  withdrawals: readonly BridgeWithdrawal[],
  feeRateSatPerVb: number,
  policy: SettlementPolicy,
): string {
  const json = (o: ChainOutput): ChainOutputJson => ({ ...o, valueSats: o.valueSats.toString() });
  const stored: StoredInputs = {
    custodyOutputs: { current: json(outputs.current), topUps: outputs.topUps.map(json) },
    withdrawals: [...withdrawals],
    feeRateSatPerVb,
    policy: storePolicy(policy),
  };
  return JSON.stringify(stored);
}

export function storeHead(head: CommitmentHead): string {
  const stored: StoredHead = {
    chainId: head.chainId.toString(),
    batchNumber: head.batchNumber.toString(),
    stateRoot: head.stateRoot,
    firstWithdrawalIndex: head.firstWithdrawalIndex.toString(),
  };
  return JSON.stringify(stored);
}

export function parseHead(text: string): CommitmentHead {
  const head = JSON.parse(text) as StoredHead;
  return {
    chainId: BigInt(head.chainId),
    batchNumber: BigInt(head.batchNumber),
    stateRoot: head.stateRoot,
    firstWithdrawalIndex: BigInt(head.firstWithdrawalIndex),
  };
}

/** The first version again, from its stored arguments (under the policy it was built with). */
export function rebuildStored(
  inputsText: string,
  headText: string,
  currentPolicy: SettlementPolicy,
): { result: SettlementResult; policy: SettlementPolicy } {
  const inputs = JSON.parse(inputsText) as StoredInputs;
  const policy = policyOf(inputs, currentPolicy);
  const value = (o: ChainOutputJson): ChainOutput => ({ ...o, valueSats: BigInt(o.valueSats) });
  const result = buildSettlement(
    {
      current: value(inputs.custodyOutputs.current),
      topUps: inputs.custodyOutputs.topUps.map(value),
    },
    inputs.withdrawals,
    parseHead(headText),
    inputs.feeRateSatPerVb,
    policy,
  );
  return { result, policy };
}
