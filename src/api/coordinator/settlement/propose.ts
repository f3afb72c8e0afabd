/**
 * Proposing the next settlement: only when none is in flight (one at a time: no chains of
 * unconfirmed settlements), covering every executed batch since the last one, committing the
 * newest state root and paying the oldest unpaid withdrawals.
 */
import type { ChainOutput } from '../../../settlement/backend/types.ts';
import {
  buildSettlement,
  type CustodyOutputs,
  compareOutpoints,
} from '../../../settlement/build.ts';
import { chooseFeeRate } from '../../../settlement/fees.ts';
import type { BridgeWithdrawal } from '../../../settlement/withdrawals.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { SettlementDeps } from './deps.ts';
import { type StoredHead, type StoredInputs, storeHead, storeInputs } from './records.ts';

export type ProposeOutcome =
  | { kind: 'idle'; detail: string }
  | { kind: 'held'; settlementId: string; reason: string }
  | { kind: 'proposed'; settlementId: string };

/** Blocks the node's fee estimate targets. */
const FEE_TARGET_BLOCKS = 6;

export async function proposeNext(deps: SettlementDeps): Promise<ProposeOutcome> {
  const batches = await deps.db.batch.findMany({
    where: { status: 'executed' },
    orderBy: { number: 'asc' },
  });
  const newest = batches[batches.length - 1];
  if (newest === undefined || newest.number === null || newest.stateRoot === null) {
    return { kind: 'idle', detail: 'no executed batch waits for settlement' };
  }
  const last = await lastFinal(deps);
  const outputs = await custodyOutputs(deps, last?.txid ?? null);
  if (outputs === null)
    return { kind: 'idle', detail: 'the custody address holds no confirmed output yet' };
  const nextIndex = last === null ? 0n : nextUnpaid(last.commitment);
  const queue = await withdrawalQueue(deps, nextIndex);
  const estimate = await deps.backend.estimateFeeRate(FEE_TARGET_BLOCKS);
  const rate = chooseFeeRate(estimate, deps.policy).rateSatPerVb;
  const head = {
    chainId: deps.chainId,
    batchNumber: BigInt(newest.number),
    stateRoot: newest.stateRoot,
    firstWithdrawalIndex: nextIndex,
  };
  const result = buildSettlement(outputs, queue, head, rate, deps.policy);
  if (result.status === 'held') return hold(deps, result.reason);
  const id = newId(ID_PREFIXES.settlement);
  const batchIds = batches.map((b) => b.id);
  await deps.db.$transaction([
    deps.db.settlement.deleteMany({ where: { status: 'held' } }),
    deps.db.settlement.create({
      data: {
        id,
        status: 'proposed',
        custodyOutpoint: `${outputs.current.txid}:${outputs.current.vout}`,
        inputs: storeInputs(outputs, queue, rate),
        commitment: storeHead(head, result.commitment.withdrawalCount),
        psbt: result.psbt.toBase64(),
        feeSats: result.feeSats,
        feeRate: String(rate),
        weight: result.weight,
        batchNumber: newest.number,
      },
    }),
    deps.db.batch.updateMany({
      where: { id: { in: batchIds } },
      data: { status: 'settling', settlementId: id },
    }),
  ]);
  await appendAudit(deps.db, {
    actor: 'coordinator',
    action: 'settlement.proposed',
    subject: id,
    data: {
      txid: result.txid,
      batchNumber: newest.number,
      paid: result.paid.length,
      waiting: result.waiting,
      feeSats: result.feeSats.toString(),
      feeRateSatPerVb: rate,
    },
  });
  return { kind: 'proposed', settlementId: id };
}

export async function lastFinal(deps: SettlementDeps) {
  return deps.db.settlement.findFirst({
    where: { status: { in: ['confirmed', 'exported'] } },
    orderBy: { batchNumber: 'desc' },
  });
}

export function nextUnpaid(commitment: string | null): bigint {
  if (commitment === null) return 0n;
  const head = JSON.parse(commitment) as StoredHead & { withdrawalCount?: number };
  return BigInt(head.firstWithdrawalIndex) + BigInt(head.withdrawalCount ?? 0);
}

/**
 * Input 0: the previous settlement's custody output (its output 0), else the first confirmed
 * output paid to the custody script; the other confirmed ones are top-ups.
 */
async function custodyOutputs(
  deps: SettlementDeps,
  previousTxid: string | null,
): Promise<CustodyOutputs | null> {
  const all = await knownOutputs(deps);
  const confirmed = all.filter((o) => o.confirmations >= 1).sort(compareOutpoints);
  const current =
    previousTxid === null
      ? confirmed[0]
      : confirmed.find((o) => o.txid === previousTxid && o.vout === 0);
  if (current === undefined) return null;
  return { current, topUps: confirmed.filter((o) => o !== current) };
}

export async function knownOutputs(deps: SettlementDeps): Promise<ChainOutput[]> {
  if (deps.backend.kind !== 'offline') {
    return deps.backend.listUnspent(Buffer.from(deps.type.scriptPubKey).toString('hex'));
  }
  // No chain view: the operator's registrations, minus what our own settlements already spend.
  const registered = deps.registeredOutputs ? await deps.registeredOutputs() : [];
  const spent = await spentBySettlements(deps);
  return registered.filter((o) => !spent.has(`${o.txid}:${o.vout}`));
}

async function spentBySettlements(deps: SettlementDeps): Promise<Set<string>> {
  const rows = await deps.db.settlement.findMany({
    where: { status: { notIn: ['held', 'failed'] }, inputs: { not: null } },
    select: { inputs: true },
  });
  const spent = new Set<string>();
  for (const r of rows) {
    const { custodyOutputs } = JSON.parse(r.inputs as string) as StoredInputs;
    for (const o of [custodyOutputs.current, ...custodyOutputs.topUps])
      spent.add(`${o.txid}:${o.vout}`);
  }
  return spent;
}

/** Every recorded withdrawal from `from` on, in queue order (the bridge numbers them). */
export async function withdrawalQueue(
  deps: SettlementDeps,
  from: bigint,
): Promise<BridgeWithdrawal[]> {
  const rows = await deps.db.batch.findMany({
    where: { status: { in: ['executed', 'settling', 'settled'] }, withdrawals: { not: null } },
    orderBy: { number: 'asc' },
    select: { withdrawals: true },
  });
  return rows
    .flatMap((r) => JSON.parse(r.withdrawals as string) as BridgeWithdrawal[])
    .filter((w) => BigInt(w.index) >= from)
    .sort((a, b) => (BigInt(a.index) < BigInt(b.index) ? -1 : 1));
}

async function hold(deps: SettlementDeps, reason: string): Promise<ProposeOutcome> {
  const existing = await deps.db.settlement.findFirst({ where: { status: 'held' } });
  const id = existing?.id ?? newId(ID_PREFIXES.settlement);
  if (existing?.reason === reason) return { kind: 'held', settlementId: id, reason };
  await deps.db.settlement.upsert({
    where: { id },
    create: { id, status: 'held', reason },
    update: { reason },
  });
  await appendAudit(deps.db, {
    actor: 'coordinator',
    action: 'settlement.held',
    subject: id,
    data: { reason },
  });
  deps.log.warn({ settlementId: id, reason }, 'settlement held');
  return { kind: 'held', settlementId: id, reason };
}
