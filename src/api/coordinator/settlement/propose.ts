/**
 * Proposing the next settlement: only when none is in flight (one at a time: no chains of
 * unconfirmed settlements), covering every executed batch since the last one, committing the
 * newest state root and paying the oldest unpaid withdrawals.
 */

import { Transaction } from 'bitcoinjs-lib';
import type { ChainOutput } from '../../../settlement/backend/types.ts';
import {
  buildSettlement,
  type CustodyOutputs,
  compareOutpoints,
} from '../../../settlement/build.ts';
import { commitmentFromScript } from '../../../settlement/commitment.ts';
import { hex } from '../../../settlement/custody-types/keys.ts';
import { chooseFeeRate } from '../../../settlement/fees.ts';
import { reserves } from '../../../settlement/reserves.ts';
import { type StoredInputs, storeHead, storeInputs } from '../../../settlement/stored.ts';
import { type BridgeWithdrawal, queueFromStored } from '../../../settlement/withdrawals.ts';
import { ConflictError } from '../../../shared/errors.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Settlement } from '../../../store/generated/sqlite/client.ts';
import type { SettlementDeps } from './deps.ts';

export type ProposeOutcome =
  | { kind: 'idle'; detail: string }
  | { kind: 'reopened'; settlementId: string }
  | { kind: 'held'; settlementId: string; reason: string }
  | { kind: 'proposed'; settlementId: string };

/** Blocks the node's fee estimate targets. */
const FEE_TARGET_BLOCKS = 6;

export async function proposeNext(deps: SettlementDeps): Promise<ProposeOutcome> {
  const failed = await deps.db.settlement.findFirst({
    where: { status: 'failed', resolvedAt: null },
  });
  if (failed !== null) {
    return {
      kind: 'idle',
      detail: `settlement ${failed.id} failed (${failed.reason}); an operator must resolve it first (POST /v1/settlements/${failed.id}/repropose)`,
    };
  }
  const last = await lastFinal(deps);
  if (last !== null && (await leftTheChain(deps, last))) return reopen(deps, last);
  const batches = await deps.db.batch.findMany({
    where: { status: 'executed' },
    orderBy: { number: 'asc' },
  });
  // The newest batch executed; with none, the newest already committed (leftover withdrawals).
  const newest =
    batches[batches.length - 1] ??
    (await deps.db.batch.findFirst({
      where: { status: { in: ['settling', 'settled'] }, stateRoot: { not: null } },
      orderBy: { number: 'desc' },
    }));
  if (newest === null || newest.number === null || newest.stateRoot === null) {
    return { kind: 'idle', detail: 'no executed batch waits for settlement' };
  }
  const nextIndex = last === null ? 0n : nextUnpaid(last);
  const queue = await withdrawalQueue(deps, nextIndex, newest.number);
  if (batches.length === 0 && queue.length === 0) {
    return { kind: 'idle', detail: 'no executed batch waits for settlement' };
  }
  const outputs = await custodyOutputs(deps, last?.txid ?? null);
  if (outputs === null)
    return { kind: 'idle', detail: 'the custody address holds no confirmed output yet' };
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
  if (batches.length === 0 && result.paid.length === 0) {
    return { kind: 'idle', detail: 'the waiting withdrawals do not fit a settlement now' };
  }
  const id = newId(ID_PREFIXES.settlement);
  const batchIds = batches.map((b) => b.id);
  await deps.db.$transaction([
    deps.db.settlement.deleteMany({ where: { status: 'held' } }),
    deps.db.settlement.create({
      data: {
        id,
        status: 'proposed',
        custodyOutpoint: `${outputs.current.txid}:${outputs.current.vout}`,
        // The inputs actually spent (top-ups the builder left out stay the custody's).
        inputs: storeInputs(
          { current: result.inputs[0] as ChainOutput, topUps: result.inputs.slice(1) },
          queue,
          rate,
          deps.policy,
        ),
        commitment: storeHead(head),
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
    orderBy: { createdAt: 'desc' },
  });
}

/** The queue index after what `settlement` paid, read from its own commitment output. */
export function nextUnpaid(settlement: { id: string; rawTx: string | null }): bigint {
  if (settlement.rawTx === null) {
    throw new ConflictError(`settlement ${settlement.id} is final but has no transaction`);
  }
  const script = Transaction.fromHex(settlement.rawTx).outs[1]?.script;
  if (script === undefined)
    throw new ConflictError(`settlement ${settlement.id} has no commitment`);
  const c = commitmentFromScript(script);
  return c.firstWithdrawalIndex + BigInt(c.withdrawalCount);
}

/** A confirmed settlement whose block is no longer in the active chain (a deep reorg). */
async function leftTheChain(deps: SettlementDeps, last: Settlement): Promise<boolean> {
  if (deps.backend.kind === 'offline' || last.status !== 'confirmed' || last.txid === null)
    return false;
  const status = await deps.backend.txStatus(last.txid, last.blockHash ?? undefined);
  return status.state !== 'confirmed';
}

/** Back to `broadcast`: tracked (and re-broadcast as it was if need be) before anything new. */
async function reopen(deps: SettlementDeps, last: Settlement): Promise<ProposeOutcome> {
  await deps.db.$transaction([
    deps.db.settlement.update({
      where: { id: last.id },
      data: {
        status: 'broadcast',
        blockHash: null,
        blockHeight: null,
        confirmations: 0,
        confirmedAt: null,
        // Waiting for a fee bump starts again from here, not from the first broadcast.
        broadcastHeight: await deps.backend.tipHeight(),
      },
    }),
    deps.db.batch.updateMany({ where: { settlementId: last.id }, data: { status: 'settling' } }),
  ]);
  await appendAudit(deps.db, {
    actor: 'coordinator',
    action: 'settlement.reorged',
    subject: last.id,
    data: { txid: last.txid, blockHash: last.blockHash, wasConfirmed: true },
  });
  return { kind: 'reopened', settlementId: last.id };
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
    return deps.backend.listUnspent(hex(deps.type.scriptPubKey));
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

/**
 * Every recorded withdrawal from `from` on, in queue order (the bridge numbers them), of the
 * batches up to `upTo`: a withdrawal is paid only by a settlement committing its batch.
 */
export async function withdrawalQueue(
  deps: SettlementDeps,
  from: bigint,
  upTo?: number,
): Promise<BridgeWithdrawal[]> {
  const rows = await deps.db.batch.findMany({
    where: {
      status: { in: ['executed', 'settling', 'settled'] },
      withdrawals: { not: null },
      ...(upTo === undefined ? {} : { number: { lte: upTo } }),
    },
    orderBy: { number: 'asc' },
    select: { withdrawals: true },
  });
  return queueFromStored(
    rows.map((r) => r.withdrawals as string),
    from,
  );
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

/**
 * The confirmed custody balance against the withdrawals no final (confirmed or exported)
 * settlement has paid: an in-flight settlement's payouts still count as owed.
 */
export async function reservesNow(
  deps: SettlementDeps,
  outputs?: ChainOutput[],
): Promise<Record<string, unknown>> {
  const final = await lastFinal(deps);
  const from = final === null ? 0n : nextUnpaid(final);
  const r = reserves(outputs ?? (await knownOutputs(deps)), await withdrawalQueue(deps, from));
  return Object.fromEntries(
    Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
  );
}
