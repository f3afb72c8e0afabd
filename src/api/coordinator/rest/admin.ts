/**
 * `GET /v1/audit` (the hash-chained audit log, paged newest first; `custody audit verify`
 * checks the chain) and the API keys an admin creates, lists and revokes.
 */
import { z } from 'zod';
import { ID_PREFIXES, idPattern } from '../../../shared/ids.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import { createApiKey, revokeApiKey, SCOPES, view } from './api-keys.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent } from './idempotency.ts';
import { DEFAULT_PAGE, pageArgs, pageQuery, pageSchema, toPage } from './pagination.ts';
import { notFound, problems } from './problems.ts';
import { plainText } from './text.ts';

const AuditEntry = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    subject: z.string().nullable(),
    data: z.unknown(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const AuditQuery = z
  .object({
    limit: z
      .string()
      .regex(/^(100|[1-9][0-9]?)$/, 'expected a whole number from 1 to 100')
      .transform(Number)
      .optional(),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,9}$/, 'expected the `next` of a previous page')
      .transform(Number)
      .refine((n) => n <= 2_147_483_647, 'expected the `next` of a previous page')
      .optional(),
  })
  .strict();

const ApiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    rateLimitPerMinute: z.number().int(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const CreatedKey = ApiKeyView.omit({ revokedAt: true })
  .extend({ token: z.string().optional() })
  .meta({ id: 'CreatedApiKey' });

const CreateKeyBody = z
  .object({
    name: plainText(100),
    scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

const KeyId = z
  .string()
  .regex(idPattern(ID_PREFIXES.apiKey), 'expected an API key id (key_ and 26 characters)');

export function adminRoutes(deps: RestDeps): Route[] {
  return [audit(deps), listKeys(deps), createKey(deps), revokeKey(deps)];
}

function audit(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/audit',
    operationId: 'listAudit',
    summary: 'The audit log, newest first',
    tags: ['admin'],
    auth: true,
    scopes: ['admin', 'institution', 'treasurer'],
    request: { query: AuditQuery },
    responses: {
      '200': { description: 'One page', schema: pageSchema(AuditEntry, 'AuditPage') },
      ...problems(400, 401, 403, 429),
    },
    handler: async ({ query }) => {
      const limit = query.limit ?? DEFAULT_PAGE;
      const rows = await deps.db.auditEntry.findMany({
        where: query.cursor === undefined ? {} : { seq: { lt: query.cursor } },
        orderBy: { seq: 'desc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        status: 200,
        json: {
          items: page.map((r) => ({ ...r, at: r.at.toISOString(), data: JSON.parse(r.data) })),
          next: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
        },
      };
    },
  });
}

function listKeys(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    summary: 'API keys (never their tokens), newest first',
    tags: ['admin'],
    auth: true,
    scopes: ['admin'],
    request: { query: pageQuery(ID_PREFIXES.apiKey) },
    responses: {
      '200': { description: 'One page', schema: pageSchema(ApiKeyView, 'ApiKeyPage') },
      ...problems(400, 401, 403, 429),
    },
    handler: async ({ query }) => {
      const rows = await deps.db.apiKey.findMany(pageArgs(query));
      return { status: 200, json: toPage(rows, query, view) };
    },
  });
}

function createKey(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key; its token is in this answer only',
    tags: ['admin'],
    auth: true,
    scopes: ['admin'],
    request: { body: CreateKeyBody },
    responses: {
      '201': { description: 'Created', schema: CreatedKey },
      ...problems(400, 401, 403, 409, 413, 415, 429),
    },
    handler: async ({ body, req, res }) => {
      const caller = callerOf(res);
      return idempotent(
        {
          db: deps.db,
          caller,
          route: 'POST /v1/api-keys',
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
          // A replay names the key made, but its token was shown once and is not kept.
          keep: (r) => ({ ...(r.json as object), token: undefined }),
        },
        async () => {
          const created = await createApiKey(deps.db, {
            name: body.name,
            scopes: body.scopes,
            ...(body.rateLimitPerMinute === undefined
              ? {}
              : { rateLimitPerMinute: body.rateLimitPerMinute }),
            actor: caller.keyId,
          });
          return { status: 201, json: created };
        },
      );
    },
  });
}

function revokeKey(deps: RestDeps): Route {
  return defineRoute({
    method: 'delete',
    path: '/v1/api-keys/{id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (at once: the next request with it is a 401)',
    tags: ['admin'],
    auth: true,
    scopes: ['admin'],
    request: { params: z.object({ id: KeyId }) },
    responses: {
      '200': { description: 'Revoked', schema: ApiKeyView },
      ...problems(400, 401, 403, 404, 429),
    },
    handler: async ({ params, res }) => {
      const row = await deps.db.apiKey.findUnique({ where: { id: params.id } });
      if (row === null) throw notFound('API key', params.id);
      return { status: 200, json: await revokeApiKey(deps.db, params.id, callerOf(res).keyId) };
    },
  });
}
