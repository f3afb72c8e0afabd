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
    decision: ApprovalDecision;
    inputs: { txid: string; vout: number }[];
    payouts: { scriptPubKey: string; valueSats: string }[];
    commitment: string;
  };
}

export async function verifyApprovals(
  db: Db,
  network: SettlementNetwork,
): Promise<{ checked: number; problems: ApprovalProblem[] }> {
  const rows = await db.approval.findMany({ where: { role: 'treasurer' }, orderBy: { id: 'asc' } });
  const problems: ApprovalProblem[] = [];
  for (const r of rows) {
    const problem = await check(db, network, r);
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

async function check(
  db: Db,
  network: SettlementNetwork,
  r: Awaited<ReturnType<Db['approval']['findMany']>>[number],
): Promise<string | null> {
  if (r.signature === null || r.message === null) return 'no signature or typed data recorded';
  let recorded: RecordedTypedData;
  try {
    recorded = JSON.parse(r.message) as RecordedTypedData;
  } catch {
    return 'the recorded typed data is not JSON';
  }
  if (recorded.message.decision !== r.decision) return 'the typed data names another decision';
  const content: ApprovalContent = {
    inputs: recorded.message.inputs,
    payouts: recorded.message.payouts.map((p) => ({ ...p, valueSats: BigInt(p.valueSats) })),
    commitment: recorded.message.commitment,
  };
  const own = await settlementContent(db, r.settlementId, network).catch(() => null);
  if (own === null) return 'its settlement has no transaction';
  if (!sameContent(own, content)) return "the typed data is not its settlement's content";
  const signer = await approvalSigner(
    BigInt(recorded.domain.chainId),
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
