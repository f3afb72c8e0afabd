/**
 * What a Settlement row stores, and how a stored settlement is brought back: the row keeps the
 * builder's arguments (custody outputs, the withdrawal queue offered, the commitment head, the
 * fee) and the PSBT with the signatures gathered so far. Reloading rebuilds the transaction from
 * the arguments and refuses a row whose PSBT is not exactly that rebuild.
 */
import {
  type BuiltSettlement,
  type SettlementPolicy,
  unsignedTransaction,
} from '../../../settlement/build.ts';
import { rebuildWithFee } from '../../../settlement/bump.ts';
import { firstDifference } from '../../../settlement/compare.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import { parsePsbt } from '../../../settlement/psbt.ts';
import { rebuildStored } from '../../../settlement/stored.ts';
import { ConflictError } from '../../../shared/errors.ts';

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
  const { result: built, policy } = rebuildStored(row.inputs, row.commitment, currentPolicy);
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
