/**
 * `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`. A submitted batch is checked
 * whole (batch-intake.ts) before anything is written, then stored `received`; the cron numbers
 * and executes it. Batch status: received → executed → settling → settled, or rejected.
 */
import { z } from 'zod';
import { type SettlementNetwork, settlementNetwork } from '../../../settlement/networks.ts';
import { ID_PREFIXES, idPattern } from '../../../shared/ids.ts';
import type { Db } from '../../../store/store.ts';
import { defineRoute, type Route, type RouteResult } from '../../http/routes.ts';
import { checkSubmittedTxs, MAX_BATCH_BODY_BYTES } from '../batch-intake.ts';
import { storeSubmitted } from '../batches.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent, parseIdempotencyKey } from './idempotency.ts';
import { pageArgs, pageQuery, pageSchema, toPage } from './pagination.ts';
import { notFound, problems } from './problems.ts';
import { addressOf } from './settlements.ts';

const BatchId = z
  .string()
  .regex(idPattern(ID_PREFIXES.batch), 'expected a batch id (bat_ and 26 characters)');

const Withdrawal = z.object({
  index: z.string(),
  scriptPubKey: z.string(),
  address: z
    .string()
    .nullable()
    .meta({ description: 'as the network shows it; null for a script with no address form' }),
  amountSats: z.string(),
});

export const BatchView = z
  .object({
    id: z.string(),
    number: z.number().int().nullable(),
    status: z.enum(['received', 'executed', 'settling', 'settled', 'rejected']),
    reason: z.string().nullable(),
    txCount: z.number().int(),
    stateRoot: z.string().nullable(),
    receiptsRoot: z.string().nullable(),
    gasUsed: z.string().nullable(),
    withdrawals: z.array(Withdrawal),
    withdrawalsRoot: z.string().nullable(),
    executionMs: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'wall time of its parallel execution, in milliseconds' }),
    sequentialEstimateMs: z.number().int().nullable().meta({
      description:
        'what one thread would have needed, in milliseconds (an estimate from the committed executions)',
    }),
    settlementId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Batch' });

type BatchRow = NonNullable<Awaited<ReturnType<Db['batch']['findUnique']>>>;

export function batchView(row: BatchRow, network: SettlementNetwork): z.infer<typeof BatchView> {
  const withdrawals =
    row.withdrawals === null
      ? []
      : (JSON.parse(row.withdrawals) as {
          index: string;
          scriptPubKey: string;
          amountSats: string;
        }[]);
  return {
    id: row.id,
    number: row.number,
    status: row.status as z.infer<typeof BatchView>['status'],
    reason: row.reason,
    txCount: row.txCount,
    stateRoot: row.stateRoot,
    receiptsRoot: row.receiptsRoot,
    gasUsed: row.gasUsed,
    withdrawals: withdrawals.map((w) => ({
      index: w.index,
      scriptPubKey: w.scriptPubKey,
      address: addressOf(w.scriptPubKey, network),
      amountSats: w.amountSats,
    })),
    withdrawalsRoot: row.withdrawalsRoot,
    executionMs: row.executionMs,
    sequentialEstimateMs: row.sequentialEstimateMs,
    settlementId: row.settlementId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const Submitted = z
  .object({ id: z.string(), status: z.literal('received') })
  .meta({ id: 'BatchAccepted' });

const SubmitBody = z
  .object({
    txs: z
      .array(z.string().meta({ description: '0x-hex signed transaction' }))
      .meta({ description: 'signed transactions, executed in this order' }),
  })
  .strict();

export function batchRoutes(deps: RestDeps): Route[] {
  return [submit(deps), list(deps), get(deps)];
}

function submit(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/v1/batches',
    operationId: 'submitBatch',
    summary: 'Submit a batch of signed transactions (executed and settled by the pipeline)',
    tags: ['batches'],
    auth: true,
    scopes: ['sequencer'],
    request: { body: SubmitBody, bodyLimitBytes: MAX_BATCH_BODY_BYTES },
    responses: {
      '202': { description: 'Accepted: stored as received', schema: Submitted },
      ...problems(400, 401, 403, 409, 413, 415, 429),
    },
    handler: async ({ body, req, res }) => {
      const caller = callerOf(res);
      // The key's form first, then the batch, both before the key is claimed: a refused
      // request writes nothing at all.
      parseIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]);
      const checked = checkSubmittedTxs(body.txs, {
        chainId: deps.chainId,
        gasLimit: deps.block.gasLimit,
      });
      return idempotent(
        {
          db: deps.db,
          caller,
          route: 'POST /v1/batches',
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
          recover: (key) => recoverSubmission(deps.db, key),
        },
        async (key) => {
          const stored = await storeSubmitted(deps.db, checked.txs, caller.keyId, key);
          deps.metrics.batchesSubmitted.inc();
          deps.metrics.transactionsSubmitted.inc(checked.txs.length);
          deps.kick();
          return { status: 202, json: stored, headers: { Location: `/v1/batches/${stored.id}` } };
        },
      );
    },
  });
}

/** The answer to a submission whose row was stored but whose answer a crash lost. */
async function recoverSubmission(db: Db, key: string): Promise<RouteResult | undefined> {
  const row = await db.batch.findUnique({ where: { idempotencyKey: key } });
  if (row === null) return undefined;
  return { status: 202, json: { id: row.id, status: 'received' } };
}

function list(deps: RestDeps): Route {
  const network = settlementNetwork(deps.config.network);
  const query = pageQuery(ID_PREFIXES.batch);
  return defineRoute({
    method: 'get',
    path: '/v1/batches',
    operationId: 'listBatches',
    summary: 'Batches, newest first',
    tags: ['batches'],
    auth: true,
    request: { query },
    responses: {
      '200': { description: 'One page', schema: pageSchema(BatchView, 'BatchPage') },
      ...problems(400, 401, 403, 429),
    },
    handler: async ({ query: q }) => {
      const rows = await deps.db.batch.findMany(pageArgs(q));
      return { status: 200, json: toPage(rows, q, (r) => batchView(r, network)) };
    },
  });
}

function get(deps: RestDeps): Route {
  const network = settlementNetwork(deps.config.network);
  return defineRoute({
    method: 'get',
    path: '/v1/batches/{id}',
    operationId: 'getBatch',
    summary: 'One batch',
    tags: ['batches'],
    auth: true,
    request: { params: z.object({ id: BatchId }) },
    responses: {
      '200': { description: 'The batch', schema: BatchView },
      ...problems(400, 401, 403, 404, 429),
    },
    handler: async ({ params }) => {
      const row = await deps.db.batch.findUnique({ where: { id: params.id } });
      if (row === null) throw notFound('batch', params.id);
      return { status: 200, json: batchView(row, network) };
    },
  });
}
