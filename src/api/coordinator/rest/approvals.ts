/**
 * Approvals over REST: the settlements waiting for them (with the EIP-712 typed data a
 * treasurer signs), one settlement's tally, and a decision.
 *
 * A decision with a `signature` is a treasurer's: the signature is EIP-712 over the
 * settlement's inputs, payouts and commitment with the decision (src/custody/approval.ts), and
 * the address it recovers must be a configured treasurer. A decision without one is an
 * institution's, made by its API key. Each approver decides once per settlement.
 */
import { z } from 'zod';
import {
  APPROVAL_DECISIONS,
  type ApprovalContent,
  approvalSigner,
  approvalTypedDataJson,
} from '../../../custody/approval.ts';
import { ConflictError, ForbiddenError, InvalidInputError } from '../../../shared/errors.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import { BOOTSTRAP_KEY_ID, type Caller, requireScope } from './api-keys.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent } from './idempotency.ts';
import { problems } from './problems.ts';
import { findSettlement, SettlementId } from './settlements.ts';
import { plainText } from './text.ts';

const Tally = z.object({
  required: z.object({ treasurers: z.number().int(), institutions: z.number().int() }),
  approvedBy: z.object({ treasurers: z.array(z.string()), institutions: z.array(z.string()) }),
  rejectedBy: z.array(
    z.object({ who: z.string(), role: z.string(), reason: z.string().nullable() }),
  ),
  overLimit: z.array(z.string()),
  satisfied: z.boolean(),
  blocked: z.string().nullable(),
});

const ApprovalView = z.object({
  id: z.string(),
  approver: z.string(),
  role: z.enum(['treasurer', 'institution']),
  decision: z.enum(APPROVAL_DECISIONS),
  reason: z.string().nullable(),
  signature: z.string().nullable(),
  createdAt: z.string(),
});

const Pending = z
  .object({
    settlementId: z.string(),
    status: z.string(),
    tally: Tally,
    approvals: z.array(ApprovalView),
    /** What a treasurer signs (eth_signTypedData_v4), one per decision. */
    typedData: z.object({ approve: z.unknown(), reject: z.unknown() }),
    development: z.boolean(),
  })
  .meta({ id: 'SettlementApprovals' });

const DecisionBody = z
  .object({
    decision: z.enum(APPROVAL_DECISIONS),
    reason: plainText(500).optional(),
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte 0x-hex EIP-712 signature')
      .optional(),
    /** With `signature`: the treasurer's address, which the signature must recover. */
    address: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x-hex address')
      .optional(),
  })
  .strict();

export function approvalRoutes(deps: RestDeps): Route[] {
  return [listPending(deps), getOne(deps), decide(deps)];
}

async function pendingView(deps: RestDeps, id: string): Promise<z.infer<typeof Pending>> {
  const row = await findSettlement(deps.db, id);
  const approvals = await deps.db.approval.findMany({
    where: { settlementId: id },
    orderBy: { createdAt: 'asc' },
  });
  const content: ApprovalContent | null =
    row.psbt === null ? null : await deps.approvals.content(id);
  return {
    settlementId: id,
    status: row.status,
    tally: await deps.approvals.tally(id),
    approvals: approvals.map((a) => ({
      id: a.id,
      approver: a.approver,
      role: a.role as 'treasurer' | 'institution',
      decision: a.decision as 'approve' | 'reject',
      reason: a.comment,
      signature: a.signature,
      createdAt: a.createdAt.toISOString(),
    })),
    typedData: {
      approve: content && approvalTypedDataJson(deps.chainId, 'approve', content),
      reject: content && approvalTypedDataJson(deps.chainId, 'reject', content),
    },
    development: deps.approvals.development,
  };
}

function listPending(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/approvals',
    operationId: 'listPendingApprovals',
    summary: 'Settlements waiting for approvals, oldest first, with what to sign',
    tags: ['approvals'],
    auth: true,
    scopes: ['treasurer', 'institution'],
    responses: {
      '200': {
        description: 'The pending settlements',
        schema: z.object({ items: z.array(Pending) }).meta({ id: 'PendingApprovals' }),
      },
      ...problems(401, 403, 429),
    },
    handler: async () => {
      const rows = await deps.db.settlement.findMany({
        where: { status: 'proposed' },
        orderBy: { id: 'asc' },
        select: { id: true },
        take: 100,
      });
      const items = [];
      for (const r of rows) items.push(await pendingView(deps, r.id));
      return { status: 200, json: { items } };
    },
  });
}

function getOne(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/settlements/{id}/approvals',
    operationId: 'getSettlementApprovals',
    summary: "One settlement's approvals, tally and typed data",
    tags: ['approvals'],
    auth: true,
    request: { params: z.object({ id: SettlementId }) },
    responses: {
      '200': { description: 'The approvals', schema: Pending },
      ...problems(400, 401, 403, 404, 429),
    },
    handler: async ({ params }) => ({ status: 200, json: await pendingView(deps, params.id) }),
  });
}

function decide(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/v1/settlements/{id}/approvals',
    operationId: 'decideSettlement',
    summary: 'Approve or reject a proposed settlement (treasurers sign EIP-712)',
    tags: ['approvals'],
    auth: true,
    scopes: ['treasurer', 'institution'],
    request: { params: z.object({ id: SettlementId }), body: DecisionBody },
    responses: {
      '201': { description: 'Recorded', schema: Pending },
      ...problems(400, 401, 403, 404, 409, 413, 415, 429),
    },
    handler: async ({ params, body, req, res }) => {
      const caller = callerOf(res);
      return idempotent(
        {
          db: deps.db,
          caller,
          route: `POST /v1/settlements/${params.id}/approvals`,
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
        },
        async () => {
          await record(deps, caller, params.id, body);
          deps.kick();
          return { status: 201, json: await pendingView(deps, params.id) };
        },
      );
    },
  });
}

async function record(
  deps: RestDeps,
  caller: Caller,
  id: string,
  body: z.infer<typeof DecisionBody>,
): Promise<void> {
  const row = await findSettlement(deps.db, id);
  if (body.decision === 'reject' && body.reason === undefined) {
    throw new InvalidInputError('reason: a rejection needs a reason', { field: 'reason' });
  }
  if (row.status !== 'proposed') {
    throw new ConflictError(
      `settlement ${id} is ${row.status}; only a proposed one takes decisions`,
    );
  }
  const who = await approver(deps, caller, id, body);
  const existing = await deps.db.approval.findUnique({
    where: { settlementId_approver: { settlementId: id, approver: who.approver } },
  });
  if (existing !== null) {
    throw new ConflictError(`${who.approver} already decided (${existing.decision}) on ${id}`);
  }
  try {
    await deps.db.approval.create({
      data: {
        id: newId(ID_PREFIXES.approval),
        settlementId: id,
        approver: who.approver,
        role: who.role,
        decision: body.decision,
        comment: body.reason ?? null,
        signature: body.signature ?? null,
        message: who.message,
      },
    });
  } catch (error) {
    // Two decisions of one approver racing: the second loses to the unique index.
    if ((error as { code?: string }).code === 'P2002') {
      throw new ConflictError(`${who.approver} already decided on ${id}`);
    }
    throw error;
  }
  await appendAudit(deps.db, {
    actor: caller.keyId,
    action: `approval.${body.decision}`,
    subject: id,
    data: {
      approver: who.approver,
      role: who.role,
      reason: body.reason ?? null,
      signature: body.signature ?? null,
      message: who.message,
    },
  });
}

async function approver(
  deps: RestDeps,
  caller: Caller,
  id: string,
  body: z.infer<typeof DecisionBody>,
): Promise<{ approver: string; role: 'treasurer' | 'institution'; message: string | null }> {
  if (body.signature === undefined) {
    if (body.address !== undefined) {
      throw new InvalidInputError('signature: an address needs its EIP-712 signature', {
        field: 'signature',
      });
    }
    // An institution is a key made for it: admin implies every scope, but an admin (or the
    // bootstrap key) is not an institution, and must not count toward INSTITUTION_QUORUM.
    if (caller.keyId === BOOTSTRAP_KEY_ID || !caller.scopes.includes('institution')) {
      throw new ForbiddenError(
        'an institution decision needs an API key with the institution scope',
      );
    }
    return { approver: caller.keyId, role: 'institution', message: null };
  }
  requireScope(caller, ['treasurer']);
  if (body.address === undefined) {
    throw new InvalidInputError('address: a signed decision names the treasurer who signed it', {
      field: 'address',
    });
  }
  // A session is one treasurer's: it cannot carry another treasurer's decision.
  if (caller.address !== undefined && caller.address !== body.address.toLowerCase()) {
    throw new ForbiddenError(`this session is ${caller.address}'s, not ${body.address}'s`);
  }
  const content = await deps.approvals.content(id);
  const address = await approvalSigner(deps.chainId, body.decision, content, body.signature);
  // A signature over anything else recovers some other address: that is how a stale or forged
  // one shows (in development, where any address may approve, this is the only check).
  if (address !== body.address.toLowerCase()) {
    throw new InvalidInputError(
      `signature: it is not ${body.address}'s signature of this settlement's ${body.decision} typed data`,
      { field: 'signature' },
    );
  }
  if (!deps.approvals.isTreasurer(address)) {
    throw new ForbiddenError(`${address} is not a configured treasurer`);
  }
  if (deps.approvals.development) {
    deps.log.warn(
      { address, settlementId: id },
      'development treasurer (no TREASURERS configured)',
    );
  }
  const message = approvalTypedDataJson(deps.chainId, body.decision, content);
  return { approver: address, role: 'treasurer', message: JSON.stringify(message) };
}
