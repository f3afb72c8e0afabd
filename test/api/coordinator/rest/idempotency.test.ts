/**
 * An Idempotency-Key claimed by a request whose process died before it finished: a retry is a
 * 409 while the claim could still be a running request's, and takes the claim over once it is
 * older than any request runs, instead of being refused forever.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BOOTSTRAP_KEY_ID } from '../../../../src/api/coordinator/rest/api-keys.ts';
import {
  idempotent,
  STALE_CLAIM_MS,
  scopedKey,
} from '../../../../src/api/coordinator/rest/idempotency.ts';
import { canonicalJson } from '../../../../src/shared/canonical-json.ts';
import { type Started, startRest } from './support.ts';

let s: Started;
beforeAll(async () => {
  s = await startRest();
}, 120_000);
afterAll(async () => {
  await s?.close();
});

const caller = { keyId: BOOTSTRAP_KEY_ID, name: 'b', scopes: [], rateLimitPerMinute: 1 };
const body = { name: 'reader', scopes: ['institution'] };
const hash = createHash('sha256').update(canonicalJson(body)).digest('hex');

/** The claim a process killed inside the handler leaves: no status, no answer. */
async function deadClaim(key: string, ageMs: number) {
  await s.running.store.db.idempotencyRecord.create({
    data: {
      id: scopedKey(caller, 'POST /v1/api-keys', key),
      requestHash: hash,
      createdAt: new Date(Date.now() - ageMs),
    },
  });
}

describe('an Idempotency-Key left claimed by a dead process', () => {
  it('is a 409 while it could still be running', async () => {
    await deadClaim('fresh', 1000);
    const r = await s.call('POST', '/v1/api-keys', {
      body,
      headers: { 'idempotency-key': 'fresh' },
    });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/still running \(or was interrupted\)/);
  });

  it('is taken over by the retry once older than any request runs', async () => {
    await deadClaim('stale', STALE_CLAIM_MS + 1000);
    const r = await s.call('POST', '/v1/api-keys', {
      body,
      headers: { 'idempotency-key': 'stale' },
    });
    expect(r.status).toBe(201);
    expect(r.body.token).toMatch(/^ck_/);
    // Its answer is kept now: the next retry is a replay, not a second key.
    const again = await s.call('POST', '/v1/api-keys', {
      body,
      headers: { 'idempotency-key': 'stale' },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(r.body.id);
  });

  it('is not taken over by a retry with another body', async () => {
    await deadClaim('other', STALE_CLAIM_MS + 1000);
    const r = await s.call('POST', '/v1/api-keys', {
      body: { name: 'admin2', scopes: ['admin'] },
      headers: { 'idempotency-key': 'other' },
    });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/used with another request body/);
  });

  it('a slow first request taken over cannot release or answer for the retry that took it', async () => {
    const db = s.running.store.db;
    const opts = { db, caller, route: 'POST /test', header: 'slow', body: { n: 1 } };
    let finishSlow: (v: unknown) => void = () => undefined;
    const slow = idempotent(opts, async () => {
      await new Promise((r) => {
        finishSlow = r;
      });
      throw new Error('the slow request failed in the end');
    });
    await new Promise((r) => setTimeout(r, 50));
    // Two retries, once the claim looks older than any request runs: one takes it over.
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + STALE_CLAIM_MS + 1000);
    let runs = 0;
    const retry = () =>
      idempotent(opts, async () => {
        runs++;
        return { status: 201, json: { done: true } };
      }).then(
        (r) => r.status,
        (e: { status?: number }) => e.status,
      );
    const statuses = await Promise.all([retry(), retry()]);
    clock.mockRestore();
    expect(runs).toBe(1);
    expect(statuses.sort()).toEqual([201, 409]);
    finishSlow(undefined);
    await expect(slow).rejects.toThrow(/failed in the end/);
    // The slow one's clean-up left the retry's answer alone.
    const row = await db.idempotencyRecord.findUniqueOrThrow({
      where: { id: scopedKey(caller, 'POST /test', 'slow') },
    });
    expect(row.status).toBe(201);
    expect(JSON.parse(row.response ?? 'null')).toEqual({ done: true });
  });
});
