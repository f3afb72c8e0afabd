/**
 * `custody audit verify`'s second half: every recorded treasurer approval is checked again. Its
 * signature must recover the approver over the typed data recorded with it, and that typed data
 * must be what the settlement it approves spends, pays and commits (read from the settlement's
 * own PSBT), for this rollup's chain id.
 */
import {
  type ApprovalContent,
  type ApprovalDecision,
  approvalSigner,
} from '../../../custody/approval.ts';
import type { SettlementNetwork } from '../../../settlement/networks.ts';
import type { Db } from '../../../store/store.ts';
import { settlementContent } from './policy.ts';

export interface ApprovalProblem {
  approvalId: string;
  settlementId: string;
  approver: string;
  problem: string;
}

interface RecordedTypedData {
  domain: { chainId: number };
  message: {
    settlementId: string;
    decision: ApprovalDecision;
    inputs: { txid: string; vout: number }[];
    payouts: { scriptPubKey: string; valueSats: string }[];
    commitment: string;
  };
}

export interface VerifyApprovalsOpts {
  network: SettlementNetwork;
  /** The rollup's chain id (the EIP-712 domain's), from this node's genesis. */
  chainId: bigint;
  /** The configured treasurers; empty in development (any address). */
  treasurers: readonly string[];
}

export async function verifyApprovals(
  db: Db,
  opts: VerifyApprovalsOpts,
): Promise<{ checked: number; problems: ApprovalProblem[] }> {
  const rows = await db.approval.findMany({ orderBy: { id: 'asc' } });
  const problems: ApprovalProblem[] = [];
  for (const r of rows) {
    const problem = await checkRow(db, opts, r).catch(
      (error: unknown) => `unreadable: ${(error as Error).message}`,
    );
    if (problem !== null) {
      problems.push({
        approvalId: r.id,
        settlementId: r.settlementId,
        approver: r.approver,
        problem,
      });
    }
  }
  return { checked: rows.length, problems };
}

type ApprovalRow = Awaited<ReturnType<Db['approval']['findMany']>>[number];

async function checkRow(db: Db, opts: VerifyApprovalsOpts, r: ApprovalRow): Promise<string | null> {
  if (r.role === 'institution') {
    return r.signature === null ? null : 'an institution decision carries a signature';
  }
  if (r.role !== 'treasurer') return `unknown role ${JSON.stringify(r.role)}`;
  if (opts.treasurers.length > 0 && !opts.treasurers.includes(r.approver)) {
    return `${r.approver} is not a configured treasurer`;
  }
  return checkTreasurer(db, opts, r);
}

async function checkTreasurer(
  db: Db,
  { network, chainId }: VerifyApprovalsOpts,
  r: ApprovalRow,
): Promise<string | null> {
  if (r.signature === null || r.message === null) return 'no signature or typed data recorded';
  let recorded: RecordedTypedData;
  try {
    recorded = JSON.parse(r.message) as RecordedTypedData;
  } catch {
    return 'the recorded typed data is not JSON';
  }
  if (recorded.message?.decision !== r.decision) return 'the typed data names another decision';
  if (BigInt(recorded.domain?.chainId ?? -1) !== chainId) {
    return `the typed data is for chain ${recorded.domain?.chainId}, not this rollup's ${chainId}`;
  }
  if (recorded.message.settlementId !== r.settlementId)
    return 'the typed data names another settlement';
  const content: ApprovalContent = {
    settlementId: r.settlementId,
    inputs: recorded.message.inputs,
    payouts: recorded.message.payouts.map((p) => ({ ...p, valueSats: BigInt(p.valueSats) })),
    commitment: recorded.message.commitment,
  };
  const own = await settlementContent(db, r.settlementId, network).catch(() => null);
  if (own === null) return 'its settlement has no transaction';
  if (!sameContent(own, content)) return "the typed data is not its settlement's content";
  const signer = await approvalSigner(
    chainId,
    r.decision as ApprovalDecision,
    content,
    r.signature,
  ).catch(() => null);
  if (signer !== r.approver) return `the signature does not recover ${r.approver}`;
  return null;
}

function sameContent(a: ApprovalContent, b: ApprovalContent): boolean {
  const norm = (c: ApprovalContent) =>
    JSON.stringify({
      inputs: c.inputs.map((i) => [i.txid.toLowerCase(), i.vout]),
      payouts: c.payouts.map((p) => [p.scriptPubKey.toLowerCase(), p.valueSats.toString()]),
      commitment: c.commitment.toLowerCase(),
    });
  return norm(a) === norm(b);
}
