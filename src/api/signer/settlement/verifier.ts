/**
 * The settlement verifier: the policy every signature of a `custody signer` passes (there is no
 * other; DESIGN.md invariant 3). A request must name a settlement; the verifier gathers the
 * signer's own records (records.ts), runs checkSettlement (rebuild, byte-for-byte comparison,
 * binding and fee-bump rules, every sighash derived there) and allows the signature only when the
 * request's digest is the sighash it derived for the input named. An allowed signature carries
 * the binding its release writes (signer-sql.ts).
 */
import type { Psbt, Transaction } from 'bitcoinjs-lib';
import { approvalSigner } from '../../../custody/approval.ts';
import { approvalMessage } from '../../../settlement/approval-message.ts';
import { unsignedTransaction } from '../../../settlement/build.ts';
import { type CheckPolicy, type CheckResult, checkSettlement } from '../../../settlement/check.ts';
import { equalBytes } from '../../../settlement/custody-types/keys.ts';
import type { SettlementNetwork } from '../../../settlement/networks.ts';
import { parsePsbt } from '../../../settlement/psbt.ts';
import { storeHead, storeInputs } from '../../../settlement/stored.ts';
import { CustodyError } from '../../../shared/errors.ts';
import type { SignerApprovals, SignerPolicyConfig } from '../config.ts';
import type { PolicyDecision, PolicyVerifier } from '../policy.ts';
import type { CustodyRelease } from '../signer-sql.ts';
import { custodyTypeForKey } from './custody.ts';
import { gatherRecords, type OwnRecords, type RecordsDeps } from './records.ts';
import type { SettlementRef } from './ref.ts';

export interface SettlementVerifierDeps extends RecordsDeps {
  network: SettlementNetwork;
  policy: SignerPolicyConfig;
  /** The treasurers whose approvals this signer requires (its own config); none: no check. */
  approvals?: SignerApprovals;
}

const refuse = (reason: string): PolicyDecision => ({ allow: false, reason });

export function settlementVerifier(deps: SettlementVerifierDeps): PolicyVerifier {
  const decide = decideOwn(deps);
  return async (req) => {
    try {
      return await decide(req);
    } catch (error) {
      // A request its records cannot even read (a malformed PSBT, an unknown key, a record it
      // lacks) is a refusal like any other: answered with its reason and in the audit log.
      if (error instanceof CustodyError && error.status < 500) {
        return refuse(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}

function decideOwn(deps: SettlementVerifierDeps): PolicyVerifier {
  return async (req) => {
    const ref = req.settlement;
    if (ref === undefined) {
      return refuse(
        'raw-message: the request names no settlement; this signer signs only sighashes it derives from a settlement it rebuilt',
      );
    }
    const type = await custodyTypeForKey(deps.db, req.keyId, req.scheme);
    const psbt = parsePsbt(ref.psbt, deps.network);
    const tx = unsignedTransaction(psbt);
    if (ref.inputIndex >= tx.ins.length) {
      return refuse(
        `input-index: the settlement has ${tx.ins.length} inputs, not input ${ref.inputIndex}`,
      );
    }
    if (req.sighashType !== undefined && req.sighashType !== type.sighashType) {
      return refuse(
        `sighash-type: asks for sighash type ${req.sighashType}; only ${type.sighashType === 0 ? 'DEFAULT' : 'ALL'} is signed`,
      );
    }
    const own = await rebuildOwn(deps, type, psbt, tx, ref);
    if ('reason' in own) return refuse(own.reason);
    const derived = own.result.sighashes[ref.inputIndex] as Uint8Array;
    if (!equalBytes(derived, req.message)) {
      return refuse(
        `message: not the sighash this signer derived for input ${ref.inputIndex} of settlement ${own.result.settlement.txid}`,
      );
    }
    const quorum = await approvalQuorum(deps, tx, ref);
    if (quorum !== null) return refuse(quorum);
    return {
      allow: true,
      custody: releaseOf(own.result, own.records, ref.batchNumber, own.policy),
    };
  };
}

/**
 * The treasurers' quorum, counted by this signer from signatures it recovers over what the
 * settlement it just rebuilt spends, pays and commits: a coordinator cannot claim approvals,
 * only forward them. Null when the quorum is met (or this signer requires none).
 */
async function approvalQuorum(
  deps: SettlementVerifierDeps,
  tx: Transaction,
  ref: SettlementRef,
): Promise<string | null> {
  const required = deps.approvals;
  if (required === undefined) return null;
  const content = { settlementId: ref.approvalsFor ?? '', ...approvalMessage(tx) };
  const approvedBy = new Set<string>();
  for (const [i, a] of (ref.approvals ?? []).entries()) {
    const signer = await approvalSigner(
      deps.rollup.chainId,
      'approve',
      content,
      a.signature,
      `settlement.approvals.${i}.signature`,
    ).catch(() => null);
    if (signer === a.address && required.treasurers.includes(signer)) approvedBy.add(signer);
  }
  const crossed = await limitsCrossed(deps, required, tx);
  const quorum = required.quorum + (crossed.length > 0 ? (required.extraApprovals ?? 1) : 0);
  if (approvedBy.size >= quorum) return null;
  const why = crossed.length > 0 ? ` (limits crossed: ${crossed.join('; ')})` : '';
  return `approvals: ${approvedBy.size} of the ${quorum} treasurer approvals this signer requires${why} verify over this settlement's inputs, payouts and commitment`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The signer's own daily and velocity limits, counted from the settlements it signed in the last
 * 24 hours (a fee-bumped one once, at its newest version; this settlement's earlier versions not
 * at all: they spend the same custody output) plus this one. A coordinator cannot hide earlier
 * payouts from it: they are its own records.
 */
async function limitsCrossed(
  deps: SettlementVerifierDeps,
  limits: SignerApprovals,
  tx: Transaction,
): Promise<string[]> {
  if (limits.dailyLimitSats === undefined && limits.velocityLimit === undefined) return [];
  const spends = `${Buffer.from(tx.ins[0]!.hash).reverse().toString('hex')}:${tx.ins[0]!.index}`;
  // A settlement counts from its first version's signature, as on the coordinator, where it
  // counts from its proposal: a fee bump signed today of one first signed yesterday is out.
  const recent = await deps.db.signerSettlement.findMany({
    where: { createdAt: { gte: new Date(Date.now() - DAY_MS) } },
    select: { originalTxid: true },
  });
  const first = await deps.db.signerSettlement.groupBy({
    by: ['originalTxid'],
    where: { originalTxid: { in: [...new Set(recent.map((r) => r.originalTxid))] } },
    _min: { createdAt: true },
  });
  const inWindow = first
    .filter((g) => (g._min.createdAt?.getTime() ?? 0) >= Date.now() - DAY_MS)
    .map((g) => g.originalTxid);
  const rows = await deps.db.signerSettlement.findMany({
    where: { originalTxid: { in: inWindow } },
    orderBy: { createdAt: 'asc' },
  });
  // Each settlement at its newest version: what it spends and the withdrawals it paid (the
  // queue entries from its commitment's first index up to the next unpaid one).
  const newest = new Map<string, { spends: string; paidSats: bigint }>();
  for (const r of rows) {
    const args = signedArgs(r.inputs);
    if (args === undefined) continue;
    const from = BigInt(args.head.firstWithdrawalIndex);
    const to = BigInt(r.nextWithdrawalIndex);
    let paidSats = 0n;
    for (const w of args.inputs.withdrawals) {
      if (BigInt(w.index) >= from && BigInt(w.index) < to) paidSats += BigInt(w.amountSats);
    }
    const c = args.inputs.custodyOutputs.current;
    newest.set(r.originalTxid, { spends: `${c.txid}:${c.vout}`, paidSats });
  }
  const others = [...newest.values()].filter((o) => o.spends !== spends);
  const out: string[] = [];
  if (limits.velocityLimit !== undefined && others.length + 1 > limits.velocityLimit) {
    out.push(`${others.length + 1} settlements in 24 hours (limit ${limits.velocityLimit})`);
  }
  if (limits.dailyLimitSats !== undefined) {
    let total = approvalMessage(tx).payouts.reduce((sum, p) => sum + p.valueSats, 0n);
    for (const o of others) total += o.paidSats;
    if (total > limits.dailyLimitSats) {
      out.push(`${total} sats paid out in 24 hours (limit ${limits.dailyLimitSats})`);
    }
  }
  return out;
}

/** A row this signer wrote itself (releaseOf); one it cannot read is left out, not a 500. */
function signedArgs(json: string): SignedArgs | undefined {
  try {
    const a = JSON.parse(json) as SignedArgs;
    return a.inputs?.custodyOutputs?.current !== undefined && Array.isArray(a.inputs.withdrawals)
      ? a
      : undefined;
  } catch {
    return undefined;
  }
}

/** SignerSettlement.inputs: the builder's arguments of the first version (releaseOf). */
type SignedArgs = {
  inputs: {
    custodyOutputs: { current: { txid: string; vout: number } };
    withdrawals: { index: string; amountSats: string }[];
  };
  head: { firstWithdrawalIndex: string };
};

export interface OwnRebuild {
  result: Extract<CheckResult, { ok: true }>;
  records: OwnRecords;
  policy: CheckPolicy;
}

/**
 * The settlement `ref` names, against the signer's own records: gathered, rebuilt and compared
 * byte for byte (checkSettlement). What a signature and a settlement learned both rest on; the
 * refusal reason is prefixed with its code.
 */
export async function rebuildOwn(
  deps: SettlementVerifierDeps,
  type: CheckPolicy['settlement']['custody'],
  psbt: Psbt,
  tx: Transaction,
  ref: Pick<SettlementRef, 'batchNumber' | 'feeRateSatPerVb'>,
): Promise<OwnRebuild | { reason: string }> {
  const policy = checkPolicyOf(deps, type);
  const records = await gatherRecords(deps, type, policy.settlement, tx, ref.batchNumber);
  if ('code' in records) return { reason: `${records.code}: ${records.reason}` };
  const result = checkSettlement({ psbt, feeRateSatPerVb: ref.feeRateSatPerVb }, records, policy);
  if (!result.ok) return { reason: `${result.code}: ${result.reason}` };
  return { result, records, policy };
}

function checkPolicyOf(
  deps: SettlementVerifierDeps,
  custody: CheckPolicy['settlement']['custody'],
): CheckPolicy {
  const p = deps.policy;
  return {
    settlement: {
      network: deps.network,
      custody,
      maxWithdrawals: p.maxWithdrawals,
      maxFeeRateSatPerVb: p.maxFeeRateSatPerVb,
      maxFeeSats: BigInt(p.maxFeeSats),
      // Unused by a check (the rate is the request's, then bounded); the builder's shape wants it.
      fallbackFeeRateSatPerVb: p.minFeeRateSatPerVb,
      minFeeRateSatPerVb: p.minFeeRateSatPerVb,
    },
    maxEstimateFactor: p.maxEstimateFactor,
    incrementalRelayFeeSatPerVb: p.incrementalRelayFeeSatPerVb,
  };
}

/** What the release binds: for a new settlement its own arguments; for a bump, the original's. */
export function releaseOf(
  result: Extract<CheckResult, { ok: true }>,
  records: OwnRecords,
  batchNumber: number,
  policy: CheckPolicy,
): CustodyRelease {
  const s = result.settlement;
  const original = records.binding?.settlement ?? s;
  const [current, ...topUps] = original.inputs;
  const buildArgs =
    records.binding === null
      ? JSON.stringify({
          inputs: JSON.parse(
            storeInputs(
              { current: current as (typeof original.inputs)[number], topUps },
              records.withdrawalQueue,
              original.feeRateSatPerVb,
              policy.settlement,
            ),
          ),
          head: JSON.parse(storeHead(records.commitment)),
        })
      : (records.originalArgs as string);
  return {
    originalTxid: original.txid,
    txid: s.txid,
    outpoints: s.inputs.map((o) => `${o.txid}:${o.vout}`),
    buildArgs,
    feeSats: s.feeSats,
    batchNumber: records.binding === null ? batchNumber : Number(original.commitment.batchNumber),
    nextWithdrawalIndex: (
      s.commitment.firstWithdrawalIndex + BigInt(s.commitment.withdrawalCount)
    ).toString(),
    change: { outpoint: `${s.txid}:0`, valueSats: s.changeSats },
  };
}
