/**
 * Signer-side HTTP authentication: every /v1 request must be signed by a trusted coordinator
 * key for this signer (audience), fresh, and never seen before (request ids are remembered in
 * the signer's database, so a restart does not reopen the replay window); every response on
 * those routes, errors included, is signed by the signer's identity key.
 */
import type { Request, RequestHandler, Response } from 'express';
import { HEADER, type ReplayGuard, verifyRequest } from '../../custody/auth/request.ts';
import { RESPONSE_SIGNATURE_HEADER, signResponse } from '../../custody/auth/response.ts';
import type { IdentityKey } from '../../custody/identity.ts';
import { InvalidInputError, PayloadTooLargeError } from '../../shared/errors.ts';
import type { Db } from '../../store/store.ts';
import { rememberRequestId } from './signer-sql.ts';

// A sign-batch of 1000 items with 3-of-5 commitment lists is about 1 MB.
export const MAX_SIGNER_BODY_BYTES = 2 * 1024 * 1024;

export interface SignerAuthOpts {
  db: Db;
  identity: IdentityKey;
  coordinatorKeys: readonly string[];
}

export function signerAuth(opts: SignerAuthOpts): RequestHandler {
  const replayGuard = new DbReplayGuard(opts.db);
  return async (req, res, next) => {
    signResponses(req, res, opts.identity);
    const body = await readRawBody(req);
    await verifyRequest({
      headers: req.headers,
      method: req.method,
      path: req.originalUrl,
      body,
      audience: opts.identity.publicKey,
      trustedKeys: opts.coordinatorKeys,
      replayGuard,
    });
    if (body.length > 0) {
      try {
        req.body = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {
        throw new InvalidInputError('the request body is not valid JSON');
      }
    }
    next();
  };
}

/** Wraps res.send so whatever is sent (JSON or problem+json) carries the signer's signature. */
function signResponses(req: Request, res: Response, identity: IdentityKey): void {
  const send = res.send.bind(res);
  res.send = (payload?: unknown) => {
    const requestId = String(req.headers[HEADER.requestId] ?? '');
    const bytes =
      typeof payload === 'string'
        ? new TextEncoder().encode(payload)
        : payload instanceof Uint8Array
          ? payload
          : new Uint8Array(0);
    res.setHeader(
      RESPONSE_SIGNATURE_HEADER,
      signResponse(identity, { requestId, status: res.statusCode, body: bytes }),
    );
    return send(payload as never);
  };
}

async function readRawBody(req: Request): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_SIGNER_BODY_BYTES) throw new PayloadTooLargeError(MAX_SIGNER_BODY_BYTES);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Request ids in the signer's own database; expired ones are pruned as new ones arrive. */
export class DbReplayGuard implements ReplayGuard {
  private lastPrune = 0;
  constructor(private readonly db: Db) {}
  async remember(requestId: string, expiresAtMs: number): Promise<boolean> {
    // Pruning is housekeeping, not a check: once every 10 s keeps it off the request path.
    if (Date.now() - this.lastPrune > 10_000) {
      this.lastPrune = Date.now();
      await this.db.signerRequest.deleteMany({
        where: { expiresAt: { lt: new Date(Date.now() - 60_000) } },
      });
    }
    return rememberRequestId(this.db, requestId, new Date(expiresAtMs));
  }
}
