/**
 * What a Settlement row stores, and how a stored settlement is brought back: the row keeps the
 * builder's arguments (custody outputs, the withdrawal queue offered, the commitment head, the
 * fee) and the PSBT with the signatures gathered so far. Reloading rebuilds the transaction from
 * the arguments and refuses a row whose PSBT is not exactly that rebuild.
 */
import type { ChainOutput } from '../../../settlement/backend/types.ts';
import {
  type BuiltSettlement,
  buildSettlement,
  type CommitmentHead,
  type CustodyOutputs,
  DEFAULT_MAX_TOP_UPS,
  type SettlementPolicy,
  unsignedTransaction,
} from '../../../settlement/build.ts';
import { rebuildWithFee } from '../../../settlement/bump.ts';
import { firstDifference } from '../../../settlement/compare.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import { parsePsbt } from '../../../settlement/psbt.ts';
import type { BridgeWithdrawal } from '../../../settlement/withdrawals.ts';
import { ConflictError } from '../../../shared/errors.ts';

interface ChainOutputJson extends Omit<ChainOutput, 'valueSats'> {
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

export interface SettlementRowLike {
  id: string;
  inputs: string | null;
  commitment: string | null;
  psbt: string | null;
  feeSats: bigint | null;
}

/** The row's settlement, rebuilt and checked against its PSBT, with the PSBT's signatures. */
export function reload(
  row: SettlementRowLike,
  type: CustodyType,
  currentPolicy: SettlementPolicy,
): BuiltSettlement {
  if (row.inputs === null || row.commitment === null || row.psbt === null || row.feeSats === null) {
    throw new ConflictError(`settlement ${row.id} has no stored transaction`);
  }
  const inputs = JSON.parse(row.inputs) as StoredInputs;
  const policy = policyOf(inputs, currentPolicy);
  const head = JSON.parse(row.commitment) as StoredHead;
  const value = (o: ChainOutputJson): ChainOutput => ({ ...o, valueSats: BigInt(o.valueSats) });
  const built = buildSettlement(
    {
      current: value(inputs.custodyOutputs.current),
      topUps: inputs.custodyOutputs.topUps.map(value),
    },
    inputs.withdrawals,
    {
      chainId: BigInt(head.chainId),
      batchNumber: BigInt(head.batchNumber),
      stateRoot: head.stateRoot,
      firstWithdrawalIndex: BigInt(head.firstWithdrawalIndex),
    },
    inputs.feeRateSatPerVb,
    policy,
  );
  if (built.status !== 'built')
    throw new ConflictError(`settlement ${row.id} no longer builds: ${built.reason}`);
  const version =
    built.feeSats === row.feeSats ? built : rebuildWithFee(built, row.feeSats, policy);
  if (version.status !== 'built')
    throw new ConflictError(`settlement ${row.id}: ${version.reason}`);
  const stored = parsePsbt(row.psbt, policy.network);
  const difference = firstDifference(unsignedTransaction(stored), version.unsignedTx);
  if (difference !== null) {
    throw new ConflictError(
      `settlement ${row.id}: the stored PSBT is not its rebuild: ${difference}`,
    );
  }
  version.inputs.forEach((_, i) => {
    type.addSignatures(version.psbt, i, type.signaturesIn(stored, i));
  });
  return version;
}
