/**
 * Signer-side HTTP authentication: every /v1 request must be signed by a trusted coordinator
 * key for this signer (audience), fresh, and never seen before (request ids are remembered in
 * the signer's database, so a restart does not reopen the replay window); every response on
 * those routes, errors included, is signed by the signer's identity key.
 */
import type { Request, RequestHandler, Response } from 'express';
import { type ReplayGuard, verifyRequest } from '../../custody/auth/request.ts';
import { RESPONSE_SIGNATURE_HEADER, signResponse } from '../../custody/auth/response.ts';
import { ReplayedRequestError } from '../../custody/errors.ts';
import type { IdentityKey } from '../../custody/identity.ts';
import { InvalidInputError, PayloadTooLargeError } from '../../shared/errors.ts';
import type { Db } from '../../store/store.ts';
import { type PendingRequestId, prismaSignerSql, type SignerSql } from './signer-sql.ts';

// A sign-batch of 1000 items with 3-of-5 commitment lists is about 1 MB.
export const MAX_SIGNER_BODY_BYTES = 2 * 1024 * 1024;

export interface SignerAuthOpts {
  db: Db;
  /** Where request ids are recorded (the Prisma client's connection when absent). */
  sql?: SignerSql;
  identity: IdentityKey;
  coordinatorKeys: readonly string[];
  /**
   * Routes whose handler records the request id itself, inside the transaction that makes its
   * work durable (one commit instead of two per request); see RequestRecord.
   */
  recordsOwnRequestId?: (req: Request) => boolean;
  /** A larger body limit for some routes (a batch and its access list); MAX_SIGNER_BODY_BYTES otherwise. */
  bodyLimitBytes?: (req: Request) => number | undefined;
}

/**
 * A verified request whose id is not recorded yet. The handler passes `pending` to the
 * SignerSql transaction that makes its work durable (a seen id throws ReplayedRequestError and
 * rolls the work back) and calls `committed` once that transaction has committed; `settle`
 * records it on its own if the handler never got there (an error, or an answer that needed no
 * write), so every request id is durable before any response to it leaves.
 */
export class RequestRecord {
  private recorded = false;
  constructor(
    private readonly sql: SignerSql,
    readonly requestId: string,
    readonly expiresAt: Date,
  ) {}

  /** The id for the handler's transaction; undefined once it is recorded. */
  get pending(): PendingRequestId | undefined {
    return this.recorded ? undefined : { requestId: this.requestId, expiresAt: this.expiresAt };
  }

  committed(): void {
    this.recorded = true;
  }

  async settle(): Promise<void> {
    if (this.recorded) return;
    if (!(await this.sql.rememberRequestId(this.requestId, this.expiresAt))) {
      throw new ReplayedRequestError(this.requestId);
    }
    this.recorded = true;
  }
}

const records = new WeakMap<Request, RequestRecord>();

/** The pending record of this request, for routes listed in recordsOwnRequestId. */
export function requestRecordOf(req: Request): RequestRecord | undefined {
  return records.get(req);
}

/** Runs a handler that records its request id itself, and makes sure the id is recorded. */
export async function withRequestRecord<T>(
  req: Request,
  work: (record: RequestRecord | undefined) => Promise<T>,
): Promise<T> {
  const record = requestRecordOf(req);
  let result: T;
  try {
    result = await work(record);
  } catch (error) {
    await record?.settle(); // a replayed request is refused as such, not with this error
    throw error;
  }
  await record?.settle();
  return result;
}

export function signerAuth(opts: SignerAuthOpts): RequestHandler {
  const sql = opts.sql ?? prismaSignerSql(opts.db);
  // Request ids in the signer's own database (SignerSql prunes expired ones after commits).
  const replayGuard: ReplayGuard = {
    remember: (requestId, expiresAtMs) => sql.rememberRequestId(requestId, new Date(expiresAtMs)),
  };
  return async (req, res, next) => {
    const body = await readRawBody(req, opts.bodyLimitBytes?.(req) ?? MAX_SIGNER_BODY_BYTES);
    const deferred = opts.recordsOwnRequestId?.(req) ?? false;
    let pending: { requestId: string; expiresAtMs: number } | undefined;
    const verified = await verifyRequest({
      headers: req.headers,
      method: req.method,
      path: req.originalUrl,
      body,
      audience: opts.identity.publicKey,
      trustedKeys: opts.coordinatorKeys,
      replayGuard: deferred
        ? {
            remember: (requestId, expiresAtMs) => {
              pending = { requestId, expiresAtMs };
              return true;
            },
          }
        : replayGuard,
    });
    signResponses(res, opts.identity, verified.hash);
    const record = pending
      ? new RequestRecord(sql, pending.requestId, new Date(pending.expiresAtMs))
      : undefined;
    let parsed: unknown;
    try {
      parsed = body.length > 0 ? JSON.parse(Buffer.from(body).toString('utf8')) : undefined;
    } catch {
      await record?.settle();
      throw new InvalidInputError('the request body is not valid JSON');
    }
    if (record) {
      // Only a request that reaches its handler can leave the recording to it: one the later
      // checks (content type, a JSON object body) will refuse is recorded here and now.
      const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      if (!isObject || !req.is('application/json')) await record.settle();
      else records.set(req, record);
    }
    if (body.length > 0) req.body = parsed;
    next();
  };
}

/**
 * Wraps res.send so whatever is sent in answer to this verified request (JSON or
 * problem+json) carries the signer's signature over it and the request's hash.
 */
function signResponses(res: Response, identity: IdentityKey, requestHash: string): void {
  const send = res.send.bind(res);
  res.send = (payload?: unknown) => {
    const bytes =
      typeof payload === 'string'
        ? new TextEncoder().encode(payload)
        : payload instanceof Uint8Array
          ? payload
          : new Uint8Array(0);
    res.setHeader(
      RESPONSE_SIGNATURE_HEADER,
      signResponse(identity, { requestHash, status: res.statusCode, body: bytes }),
    );
    return send(payload as never);
  };
}

async function readRawBody(req: Request, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
