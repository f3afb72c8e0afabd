/**
 * `POST /v1/settlements/{id}/repropose` (admin): an operator resolves a failed settlement that
 * was never signed (rejected by the approvers, say), so the pipeline, stopped on it, goes on.
 * Its batches go back to `executed` and the next tick proposes a new settlement for them, with
 * a new id that needs new approvals. A settlement any signer signed is refused: its custody
 * output is bound to it at the signers, and no other settlement may spend it.
 */
import { Psbt } from 'bitcoinjs-lib';
import { z } from 'zod';
import { settlementNetwork } from '../../../settlement/networks.ts';
import { ConflictError } from '../../../shared/errors.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent } from './idempotency.ts';
import { problems } from './problems.ts';
import { findSettlement, SettlementId, SettlementView, settlementView } from './settlements.ts';
import { plainText } from './text.ts';

const Body = z.object({ reason: plainText(500) }).strict();

export function reproposeRoute(deps: RestDeps): Route {
  const network = settlementNetwork(deps.config.network);
  return defineRoute({
    method: 'post',
    path: '/v1/settlements/{id}/repropose',
    operationId: 'reproposeSettlement',
    summary: 'Resolve a failed, never-signed settlement: its batches are proposed again',
    tags: ['settlements'],
    auth: true,
    scopes: ['admin'],
    request: { params: z.object({ id: SettlementId }), body: Body },
    responses: {
      '200': { description: 'Resolved', schema: SettlementView },
      ...problems(400, 401, 403, 404, 409, 413, 415, 429),
    },
    handler: async ({ params, body, req, res }) => {
      const caller = callerOf(res);
      return idempotent(
        {
          db: deps.db,
          caller,
          route: `POST /v1/settlements/${params.id}/repropose`,
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
        },
        async () => {
          await resolve(deps, params.id, caller.keyId, body.reason);
          deps.kick();
          return {
            status: 200,
            json: settlementView(await findSettlement(deps.db, params.id), network),
          };
        },
      );
    },
  });
}

async function resolve(deps: RestDeps, id: string, actor: string, why: string): Promise<void> {
  const row = await findSettlement(deps.db, id);
  if (row.status !== 'failed' || row.resolvedAt !== null) {
    throw new ConflictError(
      `settlement ${id} is ${row.resolvedAt === null ? row.status : 'failed and resolved already'}; only an unresolved failed one is proposed again`,
    );
  }
  // Never asked to sign: a session that failed may still have released some signatures, and
  // a co-signer may have uploaded some into the PSBT.
  const sessions = await deps.db.signingSession.count({ where: { settlementId: id } });
  if (sessions > 0 || row.txid !== null || hasSignatures(row.psbt)) {
    throw new ConflictError(
      `settlement ${id} was signed or asked to sign: its custody output may be bound to it at the signers, and no other settlement may spend it`,
    );
  }
  const reason = `${row.reason ?? 'failed'}; resolved by ${actor}: ${why}`;
  const done = await deps.db.$transaction(async (tx) => {
    // The custody output is free for the settlement that replaces it. Conditional: of two
    // operators resolving it at once, one does.
    const resolved = await tx.settlement.updateMany({
      where: { id, status: 'failed', resolvedAt: null, txid: null },
      data: { resolvedAt: new Date(), custodyOutpoint: null, reason },
    });
    if (resolved.count !== 1) return false;
    await tx.batch.updateMany({
      where: { settlementId: id },
      data: { status: 'executed', settlementId: null },
    });
    return true;
  });
  if (!done) throw new ConflictError(`settlement ${id} was resolved meanwhile`);
  await appendAudit(deps.db, {
    actor,
    action: 'settlement.reproposed',
    subject: id,
    data: { reason: why, failedFor: row.reason },
  });
}

function hasSignatures(psbt: string | null): boolean {
  if (psbt === null) return false;
  return Psbt.fromBase64(psbt).data.inputs.some(
    (i) =>
      (i.partialSig?.length ?? 0) > 0 ||
      i.tapKeySig !== undefined ||
      (i.tapScriptSig?.length ?? 0) > 0,
  );
}
