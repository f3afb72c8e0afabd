/**
 * The approvals policy: who must approve a settlement before any signer is asked.
 *
 * - Treasurers (their Ethereum addresses configured in TREASURERS) approve with EIP-712
 *   signatures over what the settlement spends, pays and commits; TREASURER_QUORUM of them are
 *   needed, EXTRA_APPROVALS more when the settlement takes the last 24 hours over
 *   DAILY_LIMIT_SATS of payouts or VELOCITY_LIMIT settlements.
 * - Institutions (API keys with the `institution` scope): INSTITUTION_QUORUM of them.
 * - Development (no TREASURERS): any one address signing is the development treasurer
 *   (quorum 1), warned in the log.
 * - AUTO_APPROVE=1 (development only): approved at once, logged at every use.
 *
 * A settlement whose rejections leave too few treasurers (or institutions) to reach the quorum
 * fails with the rejections as its reason.
 */
import {
  type ApprovalContent,
  type ApprovalDecision,
  approvalSigner,
} from '../../../custody/approval.ts';
import { approvalMessage } from '../../../settlement/approval-message.ts';
import { unsignedTransaction } from '../../../settlement/build.ts';
import type { SettlementNetwork } from '../../../settlement/networks.ts';
import { parsePsbt } from '../../../settlement/psbt.ts';
import type { ApprovalSettings } from '../../../shared/config.ts';
import { ConflictError } from '../../../shared/errors.ts';
import type { Db } from '../../../store/store.ts';

export interface ApprovalTally {
  required: { treasurers: number; institutions: number };
  approvedBy: { treasurers: string[]; institutions: string[] };
  rejectedBy: { who: string; role: string; reason: string | null }[];
  /** Why more approvals than the quorum are needed (limits crossed). */
  overLimit: string[];
  satisfied: boolean;
  /** Set when the rejections make the quorum unreachable. */
  blocked: string | null;
}

export interface ApprovalPolicy {
  settings: ApprovalSettings;
  autoApprove: boolean;
  /** No treasurer configured: any one address is the development treasurer. */
  development: boolean;
  tally(settlementId: string): Promise<ApprovalTally>;
  /** What the settlement's approvers sign. */
  content(settlementId: string): Promise<ApprovalContent>;
  isTreasurer(address: string): boolean;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
const APPROVED_OR_LATER = ['approved', 'signing', 'signed', 'broadcast', 'confirmed', 'exported'];

export function approvalPolicy(opts: {
  db: Db;
  settings: ApprovalSettings;
  autoApprove: boolean;
  network: SettlementNetwork;
  /** The rollup's chain id, the EIP-712 domain's. */
  chainId: bigint;
  now?: () => number;
}): ApprovalPolicy {
  const { db, settings } = opts;
  const now = opts.now ?? Date.now;
  const development = settings.treasurers.length === 0;
  const content = async (id: string) => settlementContent(db, id, opts.network);
  const isTreasurer = (address: string) =>
    development || settings.treasurers.includes(address.toLowerCase());
  const treasurerSigned = async (
    r: { approver: string; decision: string; signature: string | null },
    c: ApprovalContent,
  ): Promise<boolean> => {
    if (r.signature === null || !isTreasurer(r.approver)) return false;
    const signer = await approvalSigner(
      opts.chainId,
      r.decision as ApprovalDecision,
      c,
      r.signature,
    ).catch(() => null);
    return signer === r.approver;
  };
  return {
    settings,
    autoApprove: opts.autoApprove,
    development,
    content,
    isTreasurer,
    async tally(id) {
      const overLimit = await limitsCrossed(db, id, settings, opts.network, now(), content);
      const required = {
        treasurers: settings.treasurerQuorum + (overLimit.length > 0 ? settings.extraApprovals : 0),
        institutions: settings.institutionQuorum,
      };
      const all = await db.approval.findMany({ where: { settlementId: id } });
      // A treasurer's row counts only when its signature verifies now, over this settlement,
      // by a treasurer configured now: the rows are the database's word, the signature is not.
      const c = all.some((r) => r.role === 'treasurer') ? await content(id) : undefined;
      const rows: typeof all = [];
      for (const r of all) {
        if (r.role !== 'treasurer') rows.push(r);
        else if (await treasurerSigned(r, c as ApprovalContent)) rows.push(r);
      }
      const pick = (role: string, decision: string) =>
        rows.filter((r) => r.role === role && r.decision === decision).map((r) => r.approver);
      const approvedBy = {
        treasurers: pick('treasurer', 'approve'),
        institutions: pick('institution', 'approve'),
      };
      const rejectedBy = rows
        .filter((r) => r.decision === 'reject')
        .map((r) => ({ who: r.approver, role: r.role, reason: r.comment }));
      const satisfied =
        approvedBy.treasurers.length >= required.treasurers &&
        approvedBy.institutions.length >= required.institutions;
      return {
        required,
        approvedBy,
        rejectedBy,
        overLimit,
        satisfied,
        blocked: satisfied ? null : blockedBy(settings, development, required, rejectedBy),
      };
    },
  };
}

/** The rejections that leave the quorum out of reach, as a reason; null while it can be met. */
function blockedBy(
  settings: ApprovalSettings,
  development: boolean,
  required: ApprovalTally['required'],
  rejectedBy: ApprovalTally['rejectedBy'],
): string | null {
  const treasurerRejections = rejectedBy.filter((r) => r.role === 'treasurer').length;
  const treasurersLeft = development
    ? 1 - treasurerRejections
    : settings.treasurers.length - treasurerRejections;
  if (treasurerRejections > 0 && treasurersLeft < required.treasurers) {
    return `rejected: ${describe(rejectedBy)}`;
  }
  return null;
}

function describe(rejectedBy: ApprovalTally['rejectedBy']): string {
  return rejectedBy.map((r) => `${r.role} ${r.who}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
}

export async function settlementContent(
  db: Db,
  id: string,
  network: SettlementNetwork,
): Promise<ApprovalContent> {
  const row = await db.settlement.findUnique({ where: { id }, select: { psbt: true } });
  if (row?.psbt == null) throw new ConflictError(`settlement ${id} has no transaction to approve`);
  return {
    settlementId: id,
    ...approvalMessage(unsignedTransaction(parsePsbt(row.psbt, network))),
  };
}

/** The limits this settlement takes over, counted with every settlement approved in 24 hours. */
async function limitsCrossed(
  db: Db,
  id: string,
  settings: ApprovalSettings,
  network: SettlementNetwork,
  nowMs: number,
  content: (id: string) => Promise<ApprovalContent>,
): Promise<string[]> {
  if (settings.dailyLimitSats === undefined && settings.velocityLimit === undefined) return [];
  const recent = await db.settlement.findMany({
    where: {
      // Signed and then refused by the node counts too: the signers counted it when they signed.
      OR: [{ status: { in: APPROVED_OR_LATER } }, { status: 'failed', txid: { not: null } }],
      createdAt: { gte: new Date(nowMs - DAY_MS) },
      id: { not: id },
    },
    select: { id: true, psbt: true },
  });
  const out: string[] = [];
  if (settings.velocityLimit !== undefined && recent.length + 1 > settings.velocityLimit) {
    out.push(`${recent.length + 1} settlements in 24 hours (limit ${settings.velocityLimit})`);
  }
  if (settings.dailyLimitSats !== undefined) {
    let total = paid(await content(id));
    for (const r of recent) {
      if (r.psbt !== null)
        total += paid(approvalMessage(unsignedTransaction(parsePsbt(r.psbt, network))));
    }
    if (total > settings.dailyLimitSats) {
      out.push(`${total} sats paid out in 24 hours (limit ${settings.dailyLimitSats})`);
    }
  }
  return out;
}

function paid(c: Pick<ApprovalContent, 'payouts'>): bigint {
  return c.payouts.reduce((sum, p) => sum + p.valueSats, 0n);
}
