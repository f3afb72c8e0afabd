/**
 * The signer's own records for checkSettlement (src/settlement/check.ts), read from its own
 * database, its own rollup and its own Bitcoin view, never from the request: the custody outputs
 * it knows (its own node's UTXO set, or outputs its operator registered plus the change of
 * settlements it signed), the current one, its withdrawal queue and commitment head, its node's
 * fee estimate and the binding of the output the settlement spends first.
 */
import type { Transaction } from 'bitcoinjs-lib';
import type { BitcoinBackend, ChainOutput } from '../../../settlement/backend/types.ts';
import {
  type BuiltSettlement,
  compareOutpoints,
  type SettlementPolicy,
} from '../../../settlement/build.ts';
import { rebuildWithFee } from '../../../settlement/bump.ts';
import type { SignedBinding, SignerRecords } from '../../../settlement/check.ts';
import { hex, inputOutpoint } from '../../../settlement/custody-types/keys.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import { rebuildStored } from '../../../settlement/stored.ts';
import type { BridgeWithdrawal } from '../../../settlement/withdrawals.ts';
import { ConflictError } from '../../../shared/errors.ts';
import type { Db } from '../../../store/store.ts';

/** What the verifier reads of the signer's own rollup (its batches, verified in order). */
export interface RollupView {
  readonly chainId: bigint;
  head(): Promise<{ number: number; stateRoot: string }>;
  batchStateRoot(number: number): Promise<string | null>;
  /** Its own withdrawals from queue index `from` on, of its batches up to `upTo`, in order. */
  withdrawals(from: bigint, upTo: number): Promise<BridgeWithdrawal[]>;
}

export interface RecordsDeps {
  db: Db;
  rollup: RollupView;
  backend: BitcoinBackend;
}

/** Why the signer will not even compare: its records say the request is out of turn. */
export interface OutOfTurn {
  code: 'behind' | 'stale-batch' | 'replayed' | 'spent' | 'no-custody-output';
  reason: string;
}

/** The records, and for a bound output the stored builder arguments of its settlement. */
export type OwnRecords = SignerRecords & { originalArgs?: string };

/** Blocks its node's fee estimate targets (the coordinator's target too). */
const FEE_TARGET_BLOCKS = 6;

interface SettlementRow {
  txid: string;
  originalTxid: string;
  inputs: string;
  feeSats: bigint;
  batchNumber: number;
  nextWithdrawalIndex: string;
}

export async function gatherRecords(
  deps: RecordsDeps,
  type: CustodyType,
  policy: SettlementPolicy,
  tx: Transaction,
  batchNumber: number,
): Promise<OwnRecords | OutOfTurn> {
  const first = tx.ins[0] === undefined ? '' : inputOutpoint(tx.ins[0]);
  const binding = await deps.db.signerBinding.findUnique({ where: { outpoint: first } });
  const estimate =
    deps.backend.kind === 'offline' ? null : await deps.backend.estimateFeeRate(FEE_TARGET_BLOCKS);
  if (binding !== null) {
    return boundRecords(deps, policy, first, binding.settlementTxid, estimate);
  }
  return newRecords(deps, type, first, batchNumber, estimate);
}

/** A custody output already bound: only its settlement again or a fee bump of it. */
async function boundRecords(
  deps: RecordsDeps,
  policy: SettlementPolicy,
  outpoint: string,
  originalTxid: string,
  estimate: number | null,
): Promise<OwnRecords | OutOfTurn> {
  const versions = await settlementVersions(deps.db, originalTxid);
  const original = versions.find((v) => v.txid === originalTxid);
  if (original === undefined) {
    throw new ConflictError(
      `binding of ${outpoint} names settlement ${originalTxid}, not recorded`,
    );
  }
  const followed = await deps.db.signerBinding.findFirst({
    where: { outpoint: { in: versions.map((v) => `${v.txid}:0`) } },
  });
  if (followed !== null) {
    return {
      code: 'replayed',
      reason: `settlement ${originalTxid} was already followed by settlement ${followed.settlementTxid}, which spends its change ${followed.outpoint}`,
    };
  }
  // No check against its node here: the output is normally spent in the mempool by the very
  // settlement a fee bump replaces, and the binding already limits what is signed for it to that
  // settlement and its bumps (a bump of a mined version can never be mined itself).
  const settlement = rebuildRow(original, policy);
  const bound: SignedBinding = {
    custodyOutpoint: outpoint,
    settlement,
    versionFeesSats: versions.map((v) => v.feeSats),
  };
  return {
    originalArgs: original.inputs,
    custodyOutputs: new Map(),
    currentCustodyOutpoint: outpoint,
    withdrawalQueue: [],
    commitment: settlement.commitment,
    nodeFeeEstimateSatPerVb: estimate,
    binding: bound,
  };
}

async function newRecords(
  deps: RecordsDeps,
  type: CustodyType,
  first: string,
  batchNumber: number,
  estimate: number | null,
): Promise<SignerRecords | OutOfTurn> {
  const head = await deps.rollup.head();
  if (batchNumber > head.number) {
    return {
      code: 'behind',
      reason: `this signer's rollup head is batch ${head.number}; it verifies batches ${head.number + 1} to ${batchNumber} before it signs for batch ${batchNumber}`,
    };
  }
  if (batchNumber < head.number) {
    return {
      code: 'stale-batch',
      reason: `batch ${batchNumber} is behind this signer's head, batch ${head.number}`,
    };
  }
  const latest = await latestOriginal(deps.db);
  if (latest !== null && batchNumber < latest.batchNumber) {
    return {
      code: 'stale-batch',
      reason: `batch ${batchNumber} is older than batch ${latest.batchNumber}, which this signer already signed a settlement for`,
    };
  }
  const nextIndex = latest === null ? 0n : BigInt(latest.nextWithdrawalIndex);
  const queue = await deps.rollup.withdrawals(nextIndex, batchNumber);
  if (latest !== null && batchNumber === latest.batchNumber) {
    // Committing a batch again is only for withdrawals it left unpaid; else it is a fee for nothing.
    if (queue.length === 0) {
      return {
        code: 'stale-batch',
        reason: `batch ${batchNumber} is committed by settlement ${latest.txid} already and none of its withdrawals waits`,
      };
    }
  }
  const successors = latest === null ? [] : await settlementVersions(deps.db, latest.txid);
  const known = await knownOutputs(deps, type, successors);
  const candidates =
    latest === null
      ? known.slice(0, 1).map(outpointOf)
      : successors.map((v) => `${v.txid}:0`).filter((o) => known.some((k) => outpointOf(k) === o));
  if (candidates.length === 0) {
    return {
      code: 'no-custody-output',
      reason:
        latest === null
          ? "this signer knows no custody output (its node's UTXO set, or outputs its operator registered)"
          : `the change of settlement ${latest.txid} is not an unspent custody output this signer knows`,
    };
  }
  const stateRoot = await deps.rollup.batchStateRoot(batchNumber);
  if (stateRoot === null)
    throw new ConflictError(`batch ${batchNumber} has no recorded state root`);
  return {
    custodyOutputs: new Map(known.map((o) => [outpointOf(o), o])),
    currentCustodyOutpoint: candidates.includes(first) ? first : (candidates[0] as string),
    withdrawalQueue: queue,
    commitment: {
      chainId: deps.rollup.chainId,
      batchNumber: BigInt(batchNumber),
      stateRoot,
      firstWithdrawalIndex: nextIndex,
    },
    nodeFeeEstimateSatPerVb: estimate,
    binding: null,
  };
}

/**
 * Unspent custody outputs it knows, minus every output bound to a settlement it signed. Its own
 * node: the confirmed outputs paying the custody script. Offline: its operator's registrations,
 * plus the change of the newest settlement's versions (only one of them will exist on chain; the
 * older settlements' change is either bound or never confirmed).
 */
async function knownOutputs(
  deps: RecordsDeps,
  type: CustodyType,
  successors: SettlementRow[],
): Promise<ChainOutput[]> {
  const script = hex(type.scriptPubKey);
  let outputs: ChainOutput[];
  if (deps.backend.kind !== 'offline') {
    outputs = (await deps.backend.listUnspent(script)).filter((o) => o.confirmations >= 1);
  } else {
    const change = new Set(successors.map((v) => v.txid));
    const rows = await deps.db.signerCustodyOutput.findMany();
    outputs = rows
      .filter((r) => r.source === 'registered' || change.has(r.settlementTxid ?? ''))
      .map((r) => {
        const [txid, vout] = r.outpoint.split(':');
        return {
          txid: txid as string,
          vout: Number(vout),
          valueSats: r.valueSats,
          scriptPubKey: script,
          confirmations: 1,
        };
      });
  }
  const bound = await deps.db.signerBinding.findMany({
    where: { outpoint: { in: outputs.map(outpointOf) } },
    select: { outpoint: true },
  });
  const spent = new Set(bound.map((b) => b.outpoint));
  return outputs.filter((o) => !spent.has(outpointOf(o))).sort(compareOutpoints);
}

function outpointOf(o: { txid: string; vout: number }): string {
  return `${o.txid}:${o.vout}`;
}

async function latestOriginal(db: Db): Promise<SettlementRow | null> {
  const rows = await db.$queryRaw<SettlementRow[]>`
    SELECT "txid", "originalTxid", "inputs", "feeSats", "batchNumber", "nextWithdrawalIndex"
    FROM "SignerSettlement" WHERE "txid" = "originalTxid"
    ORDER BY "createdAt" DESC, "batchNumber" DESC LIMIT 1`;
  return rows[0] ?? null;
}

function settlementVersions(db: Db, originalTxid: string): Promise<SettlementRow[]> {
  return db.signerSettlement.findMany({ where: { originalTxid }, orderBy: { createdAt: 'asc' } });
}

/** A settlement it signed, rebuilt from its stored arguments (never read back as bytes). */
export function rebuildRow(row: SettlementRow, current: SettlementPolicy): BuiltSettlement {
  const args = JSON.parse(row.inputs) as { inputs: unknown; head: unknown };
  const { result, policy } = rebuildStored(
    JSON.stringify(args.inputs),
    JSON.stringify(args.head),
    current,
  );
  if (result.status !== 'built') {
    throw new ConflictError(`settlement ${row.txid} no longer rebuilds: ${result.reason}`);
  }
  if (result.feeSats === row.feeSats) return result;
  const bump = rebuildWithFee(result, row.feeSats, policy);
  if (bump.status !== 'built') throw new ConflictError(`settlement ${row.txid}: ${bump.reason}`);
  return bump;
}
