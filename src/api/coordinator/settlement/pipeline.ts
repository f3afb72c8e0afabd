/**
 * The settlement pipeline, one persisted transition at a time:
 *
 *   proposed → approved → signing → signed → broadcast → confirmed
 *                                          ↘ exported (offline backend: the operator broadcasts)
 *
 * Every step reads its state from the database, does one thing and records the result before
 * the next step starts, so a coordinator killed anywhere resumes where it stopped and never does
 * a step twice with different results: a signed transaction is stored before it is broadcast
 * (a restart re-broadcasts the same bytes), a fee bump is stored before it is signed, and a
 * stored settlement is only ever reloaded by rebuilding it from its records (records.ts).
 */

import { TransactionRejectedError } from '../../../settlement/backend/bitcoin-core.ts';
import { buildFeeBump } from '../../../settlement/bump.ts';
import { chooseFeeRate } from '../../../settlement/fees.ts';
import { finalizeSettlement } from '../../../settlement/finalize.ts';
import { policyOf, type StoredInputs } from '../../../settlement/stored.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Settlement } from '../../../store/generated/sqlite/client.ts';
import { IN_FLIGHT, type SettlementDeps } from './deps.ts';
import { proposeNext } from './propose.ts';
import { reload } from './records.ts';
import { signInputs } from './sign.ts';
import { shareSigned } from './sync.ts';

export interface StepResult {
  /** True when the step changed something; false when the pipeline waits (or is idle). */
  progressed: boolean;
  settlementId?: string;
  status: string;
  detail?: string;
}

/** Run steps until the pipeline has to wait for something outside it (blocks, batches, funds). */
export async function runSettlementPipeline(
  deps: SettlementDeps,
  maxSteps = 50,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const r = await settlementStep(deps);
    results.push(r);
    if (!r.progressed) break;
  }
  return results;
}

export async function settlementStep(deps: SettlementDeps): Promise<StepResult> {
  const row = await deps.db.settlement.findFirst({
    where: { status: { in: [...IN_FLIGHT] } },
    orderBy: { createdAt: 'asc' },
  });
  if (row === null) return propose(deps);
  switch (row.status) {
    case 'proposed':
      return approve(deps, row);
    case 'approved':
    case 'signing':
      return sign(deps, row);
    case 'signed':
      return broadcast(deps, row);
    default:
      return track(deps, row);
  }
}

async function propose(deps: SettlementDeps): Promise<StepResult> {
  const outcome = await proposeNext(deps);
  if (outcome.kind === 'idle') return { progressed: false, status: 'idle', detail: outcome.detail };
  if (outcome.kind === 'held') {
    return {
      progressed: false,
      settlementId: outcome.settlementId,
      status: 'held',
      detail: outcome.reason,
    };
  }
  if (outcome.kind === 'reopened') {
    return transitioned(deps, outcome.settlementId, 'broadcast', 'its block left the chain');
  }
  return transitioned(deps, outcome.settlementId, 'proposed');
}

async function transitioned(
  deps: SettlementDeps,
  id: string,
  status: string,
  detail?: string,
): Promise<StepResult> {
  deps.log.info({ settlementId: id, status, detail }, 'settlement transition');
  await deps.afterTransition?.(id, status);
  return {
    progressed: true,
    settlementId: id,
    status,
    ...(detail === undefined ? {} : { detail }),
  };
}

async function setStatus(
  deps: SettlementDeps,
  row: Settlement,
  status: string,
  data: Partial<Settlement> = {},
) {
  await deps.db.settlement.update({
    where: { id: row.id },
    data: { ...data, ...stamps(row, status), status },
  });
}

/**
 * When it was first broadcast (or exported) and when it was confirmed, for the latency the
 * dashboard shows: written with the status itself, so a crash cannot leave one without the other.
 */
function stamps(row: Settlement, status: string): Partial<Settlement> {
  const now = new Date();
  if ((status === 'broadcast' || status === 'exported') && row.broadcastAt === null) {
    return { broadcastAt: now };
  }
  if (status === 'confirmed' && row.confirmedAt === null) return { confirmedAt: now };
  return {};
}

async function approve(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  const policy = deps.approvals;
  if (policy === undefined) {
    return approved(deps, row, deps.approver, {
      note: 'approved by the operator running the pipeline (no approvals policy configured)',
    });
  }
  if (policy.autoApprove) {
    deps.log.warn(
      { settlementId: row.id },
      'AUTO_APPROVE=1: settlement approved without approvers (development only)',
    );
    return approved(deps, row, 'AUTO_APPROVE', { note: 'AUTO_APPROVE=1 (development only)' });
  }
  const tally = await policy.tally(row.id);
  if (tally.satisfied) {
    return approved(deps, row, 'approvals-policy', {
      treasurers: tally.approvedBy.treasurers,
      institutions: tally.approvedBy.institutions,
      required: tally.required,
      overLimit: tally.overLimit,
    });
  }
  if (tally.blocked !== null) {
    await setStatus(deps, row, 'failed', { reason: tally.blocked });
    await appendAudit(deps.db, {
      actor: 'approvals-policy',
      action: 'settlement.rejected',
      subject: row.id,
      data: { rejectedBy: tally.rejectedBy },
    });
    return transitioned(deps, row.id, 'failed', tally.blocked);
  }
  return {
    progressed: false,
    settlementId: row.id,
    status: 'proposed',
    detail: `waiting for approvals: ${tally.approvedBy.treasurers.length} of ${tally.required.treasurers} treasurers, ${tally.approvedBy.institutions.length} of ${tally.required.institutions} institutions`,
  };
}

async function approved(
  deps: SettlementDeps,
  row: Settlement,
  actor: string,
  data: Record<string, unknown>,
): Promise<StepResult> {
  await setStatus(deps, row, 'approved');
  await appendAudit(deps.db, { actor, action: 'settlement.approved', subject: row.id, data });
  return transitioned(deps, row.id, 'approved');
}

async function sign(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  if (row.status !== 'signing') await setStatus(deps, row, 'signing');
  const settlement = reload(row, deps.type, deps.policy);
  await signInputs(deps, row.id, settlement);
  const final = finalizeSettlement(settlement, deps.type);
  // Stored before any broadcast: a restart re-sends exactly these bytes.
  await setStatus(deps, row, 'signed', {
    psbt: settlement.psbt.toBase64(),
    rawTx: final.rawTx,
    txid: final.txid,
  });
  await appendAudit(deps.db, {
    actor: 'coordinator',
    action: 'settlement.signed',
    subject: row.id,
    data: { txid: final.txid, vsize: final.vsize },
  });
  return transitioned(deps, row.id, 'signed', final.txid);
}

async function broadcast(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  // The signers the session did not ask learn the settlement here, in the step that sends it,
  // not at the end of signing: a coordinator killed after recording `signed` resumes here and
  // shares it again before the broadcast. Shared only at the end of signing, a crash right
  // after `signed` left a FROST signer that was not asked unable ever to learn it once mined
  // (its node no longer shows the outputs it spent): out of step for good.
  await shareSigned(deps);
  const sent = await send(deps, row);
  if (sent.kind === 'handled') return sent.step;
  const result = sent.result;
  if (result.accepted === 'exported') {
    await setStatus(deps, row, 'exported', { exported: JSON.stringify(result.exported) });
    await audit(deps, row, 'settlement.exported', { txid: result.txid, ...result.exported });
    return transitioned(deps, row.id, 'exported', result.exported?.txPath);
  }
  const tip = await deps.backend.tipHeight();
  await setStatus(deps, row, 'broadcast', { broadcastHeight: row.broadcastHeight ?? tip });
  await audit(deps, row, 'settlement.broadcast', {
    txid: result.txid,
    accepted: result.accepted,
    tip,
  });
  return transitioned(deps, row.id, 'broadcast', result.txid);
}

/** The node's reasons that a higher fee cures (Bitcoin Core's reject strings). */
const FEE_REFUSALS =
  /min relay fee not met|mempool min fee not met|insufficient fee|too-long-mempool-chain/;

type Sent =
  | { kind: 'sent'; result: Awaited<ReturnType<SettlementDeps['backend']['broadcast']>> }
  | { kind: 'handled'; step: StepResult };

/**
 * Send the stored bytes. A refusal is never left to repeat forever: when an earlier version is
 * what the node has, it is adopted; when the fee is the reason, the settlement is bumped; any
 * other refusal (the transaction itself is wrong) fails it with the node's reason.
 */
async function send(deps: SettlementDeps, row: Settlement): Promise<Sent> {
  try {
    return {
      kind: 'sent',
      result: await deps.backend.broadcast(row.rawTx as string, row.psbt as string, row.id),
    };
  } catch (error) {
    if (!(error instanceof TransactionRejectedError)) throw error;
    const adopted = await adoptEarlierVersion(deps, row);
    if (adopted !== null) return { kind: 'handled', step: adopted };
    if (FEE_REFUSALS.test(error.reason)) return { kind: 'handled', step: await bump(deps, row) };
    await setStatus(deps, row, 'failed', {
      reason: `the node refused ${row.txid}: ${error.reason}`,
    });
    await audit(deps, row, 'settlement.failed', { txid: row.txid, reason: error.reason });
    deps.log.error(
      { settlementId: row.id, txid: row.txid, reason: error.reason },
      'settlement refused by the node',
    );
    return {
      kind: 'handled',
      step: { progressed: false, settlementId: row.id, status: 'failed', detail: error.reason },
    };
  }
}

async function audit(
  deps: SettlementDeps,
  row: Settlement,
  action: string,
  data: Record<string, unknown>,
) {
  await appendAudit(deps.db, { actor: 'coordinator', action, subject: row.id, data });
}

/** One broadcast version of a settlement (fee bumps make more), enough to adopt it again. */
interface Version {
  txid: string;
  rawTx: string;
  psbt: string;
  feeSats: string;
}

function versionsOf(row: Settlement): Version[] {
  const replaced = row.replacedTxids === null ? [] : (JSON.parse(row.replacedTxids) as Version[]);
  return [...replaced, currentVersion(row)];
}

function currentVersion(row: Settlement): Version {
  return {
    txid: row.txid as string,
    rawTx: row.rawTx as string,
    psbt: row.psbt as string,
    feeSats: String(row.feeSats),
  };
}

/** Confirmations, fee bumps, and recovery when the transaction left the chain or the mempool. */
async function track(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  const status = await deps.backend.txStatus(row.txid as string, row.blockHash ?? undefined);
  if (status.state === 'confirmed') return confirmations(deps, row, status.confirmations, status);
  if (row.blockHash !== null) {
    await setStatus(deps, row, 'broadcast', {
      blockHash: null,
      blockHeight: null,
      confirmations: 0,
      confirmedAt: null,
    });
    await audit(deps, row, 'settlement.reorged', { txid: row.txid, blockHash: row.blockHash });
    return transitioned(deps, row.id, 'broadcast', `left block ${row.blockHash}`);
  }
  if (status.state === 'unknown') return recover(deps, row);
  const tip = await deps.backend.tipHeight();
  if (tip - (row.broadcastHeight ?? tip) >= deps.bumpAfterBlocks) return bump(deps, row);
  return {
    progressed: false,
    settlementId: row.id,
    status: 'broadcast',
    detail: 'waiting in the mempool',
  };
}

async function confirmations(
  deps: SettlementDeps,
  row: Settlement,
  count: number,
  at: { blockHash?: string; blockHeight?: number },
): Promise<StepResult> {
  const block = {
    blockHash: at.blockHash ?? null,
    blockHeight: at.blockHeight ?? null,
    confirmations: count,
  };
  if (count < deps.confirmations) {
    if (row.blockHash === block.blockHash && row.confirmations === count) {
      return {
        progressed: false,
        settlementId: row.id,
        status: 'broadcast',
        detail: `${count} confirmations`,
      };
    }
    await setStatus(deps, row, 'broadcast', block);
    return transitioned(deps, row.id, 'broadcast', `${count} confirmations`);
  }
  await deps.db.$transaction([
    deps.db.settlement.update({
      where: { id: row.id },
      data: { ...block, ...stamps(row, 'confirmed'), status: 'confirmed' },
    }),
    deps.db.batch.updateMany({ where: { settlementId: row.id }, data: { status: 'settled' } }),
  ]);
  await audit(deps, row, 'settlement.confirmed', { txid: row.txid, ...block });
  return transitioned(deps, row.id, 'confirmed', row.txid ?? undefined);
}

/**
 * Not in the mempool, not in the chain: an earlier version may have been mined instead of a
 * fee bump (adopt it), else the transaction was dropped or reorged out: re-broadcast the same
 * bytes, never a different transaction.
 */
async function recover(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  const adopted = await adoptEarlierVersion(deps, row);
  if (adopted !== null) return adopted;
  const sent = await send(deps, row);
  if (sent.kind === 'handled') return sent.step;
  await audit(deps, row, 'settlement.rebroadcast', {
    txid: sent.result.txid,
    accepted: sent.result.accepted,
  });
  return transitioned(deps, row.id, 'broadcast', `re-broadcast ${sent.result.txid}`);
}

async function adoptEarlierVersion(
  deps: SettlementDeps,
  row: Settlement,
): Promise<StepResult | null> {
  const earlier = row.replacedTxids === null ? [] : (JSON.parse(row.replacedTxids) as Version[]);
  for (const v of earlier) {
    const s = await deps.backend.txStatus(v.txid);
    if (s.state === 'unknown') continue;
    const kept = earlier.filter((e) => e.txid !== v.txid);
    if (row.txid !== null) kept.push(currentVersion(row));
    await setStatus(deps, row, 'broadcast', {
      txid: v.txid,
      rawTx: v.rawTx,
      psbt: v.psbt,
      feeSats: BigInt(v.feeSats),
      replacedTxids: JSON.stringify(kept),
      broadcastHeight: row.broadcastHeight ?? (await deps.backend.tipHeight()),
    });
    await audit(deps, row, 'settlement.version-adopted', { txid: v.txid, state: s.state });
    return transitioned(
      deps,
      row.id,
      'broadcast',
      `an earlier version ${v.txid} is the one the node has`,
    );
  }
  return null;
}

/** A replacement with the same inputs, payouts and commitment (bump.ts), stored before signing. */
async function bump(deps: SettlementDeps, row: Settlement): Promise<StepResult> {
  const current = reload(row, deps.type, deps.policy);
  const policy = policyOf(JSON.parse(row.inputs as string) as StoredInputs, deps.policy);
  const estimate = await deps.backend.estimateFeeRate(2);
  const rate = chooseFeeRate(estimate, policy).rateSatPerVb;
  const bumped = buildFeeBump(
    current,
    { feeRateSatPerVb: rate, incrementalRelayFeeSatPerVb: deps.incrementalRelayFeeSatPerVb },
    policy,
  );
  if (bumped.status === 'held') {
    if (row.reason !== bumped.reason)
      await setStatus(deps, row, 'broadcast', { reason: bumped.reason });
    return { progressed: false, settlementId: row.id, status: 'broadcast', detail: bumped.reason };
  }
  await setStatus(deps, row, 'approved', {
    replacedTxids: JSON.stringify(versionsOf(row)),
    psbt: bumped.psbt.toBase64(),
    feeSats: bumped.feeSats,
    feeRate: String(bumped.feeRateSatPerVb),
    txid: null,
    rawTx: null,
    broadcastHeight: null,
    reason: null,
  });
  await audit(deps, row, 'settlement.fee-bump', {
    replaces: row.txid,
    feeSats: bumped.feeSats.toString(),
    previousFeeSats: row.feeSats?.toString(),
  });
  return transitioned(deps, row.id, 'approved', `fee bump to ${bumped.feeSats} sats`);
}
