/**
 * `Idempotency-Key` on every POST: the same key and body get the first answer again, the same
 * key with another body a 409, and two requests racing with one key run once (the second is a
 * 409 while the first runs). A key is scoped to the caller and the route.
 *
 * The record is claimed (inserted) before the handler runs, so only one request can ever run for
 * a key; only a 2xx answer is kept (a refused request changed nothing, so the key is released
 * and may be retried). A process that died between the handler's writes and keeping its answer
 * leaves the claim: `recover` may rebuild the answer from what the handler wrote (a batch
 * carries its key); else, once the claim is older than any request runs (STALE_CLAIM_MS), it
 * was a dead process's and the retry takes it over and runs (the handler then meets whatever
 * the dead one wrote: an approval already recorded is a 409 that says so). Until then the
 * retry is a 409 that says the first request is still running.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../shared/canonical-json.ts';
import { ConflictError, InvalidInputError } from '../../../shared/errors.ts';
import type { Db } from '../../../store/store.ts';
import type { RouteResult } from '../../http/routes.ts';
import type { Caller } from './api-keys.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** No request runs this long (each handler is a few database writes): its process died. */
export const STALE_CLAIM_MS = 120_000;

export interface IdempotentOpts {
  db: Db;
  caller: Caller;
  /** The route, e.g. `POST /v1/batches`. */
  route: string;
  header: string | string[] | undefined;
  body: unknown;
  /** The handler's answer for a key it already ran (a crash lost the stored answer). */
  recover?: (scopedKey: string) => Promise<RouteResult | undefined>;
  /** What is kept of the answer (secrets left out). */
  keep?: (result: RouteResult & { json: unknown }) => unknown;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** 1 to 255 visible ASCII characters, like the IETF draft's examples (UUIDs, ULIDs). */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new InvalidInputError(
      'Idempotency-Key: expected 1 to 255 visible ASCII characters, given once',
      { field: 'Idempotency-Key' },
    );
  }
  return header;
}

/** The key's id in the store: the caller, the route and the client's key, hashed together. */
export function scopedKey(caller: Caller, route: string, key: string): string {
  return sha256Hex(`${caller.keyId}\n${route}\n${key}`);
}

export async function idempotent(
  opts: IdempotentOpts,
  run: (scopedKey: string | undefined) => Promise<RouteResult>,
): Promise<RouteResult> {
  const key = parseIdempotencyKey(opts.header);
  if (key === undefined) return run(undefined);
  const id = scopedKey(opts.caller, opts.route, key);
  const requestHash = sha256Hex(canonicalJson(opts.body ?? null));
  let mine = await claim(opts.db, id, requestHash);
  if (mine === undefined) {
    const answer = await replay(opts, id, requestHash);
    if (answer === 'stale') mine = await takeOver(opts.db, id, requestHash);
    if (mine === undefined) return answerOrBusy(answer);
  }
  // Every later write is to this claim only (its time is its owner's mark): a request slow
  // enough to have been taken over cannot release or answer for the one that took it.
  const ours = { id, status: 0, createdAt: mine };
  let result: RouteResult;
  try {
    result = await run(id);
  } catch (error) {
    await opts.db.idempotencyRecord.deleteMany({ where: ours });
    throw error;
  }
  if (result.status >= 200 && result.status < 300 && 'json' in result) {
    const kept = opts.keep ? opts.keep(result) : result.json;
    await opts.db.idempotencyRecord.updateMany({
      where: ours,
      data: { status: result.status, response: JSON.stringify(kept) },
    });
  } else {
    await opts.db.idempotencyRecord.deleteMany({ where: ours });
  }
  return result;
}

/** The claim's time when this request made it, or undefined when the key is claimed already. */
async function claim(db: Db, id: string, requestHash: string): Promise<Date | undefined> {
  const createdAt = new Date();
  try {
    await db.idempotencyRecord.create({ data: { id, requestHash, createdAt } });
    return createdAt;
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') return undefined;
    throw error;
  }
}

/** A dead process's claim, taken by one retry only (the delete counts one row for one of them). */
async function takeOver(db: Db, id: string, requestHash: string): Promise<Date | undefined> {
  const cutoff = new Date(Date.now() - STALE_CLAIM_MS);
  const gone = await db.idempotencyRecord.deleteMany({
    where: { id, status: 0, createdAt: { lt: cutoff } },
  });
  return gone.count === 1 ? claim(db, id, requestHash) : undefined;
}

function answerOrBusy(answer: RouteResult | 'stale' | 'running'): RouteResult {
  if (answer !== 'stale' && answer !== 'running') return answer;
  throw new ConflictError(
    'a request with this Idempotency-Key is still running (or was interrupted); retry later',
    { field: 'Idempotency-Key' },
  );
}

async function replay(
  opts: IdempotentOpts,
  id: string,
  requestHash: string,
): Promise<RouteResult | 'stale' | 'running'> {
  const row = await opts.db.idempotencyRecord.findUnique({ where: { id } });
  // Released between our insert and this read: the first request was refused; say so.
  if (row === null)
    throw new ConflictError('a request with this Idempotency-Key just failed; retry');
  if (row.requestHash !== requestHash) {
    throw new ConflictError(
      'this Idempotency-Key was used with another request body; use a new key for a new request',
      { field: 'Idempotency-Key' },
    );
  }
  if (row.status !== 0 && row.response !== null) {
    return {
      status: row.status,
      json: JSON.parse(row.response),
      headers: { 'Idempotent-Replayed': 'true' },
    };
  }
  const recovered = await opts.recover?.(id);
  if (recovered !== undefined) {
    return { ...recovered, headers: { ...recovered.headers, 'Idempotent-Replayed': 'true' } };
  }
  return Date.now() - row.createdAt.getTime() > STALE_CLAIM_MS ? 'stale' : 'running';
}
