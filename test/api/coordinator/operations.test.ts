import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCoordinatorApp } from '../../../src/api/coordinator/app.ts';
import { createHttpApp } from '../../../src/api/http/app.ts';
import { defineRoute } from '../../../src/api/http/routes.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../../support/databases.ts';

const log = createLogger({ level: 'silent' });

async function serve(app: import('express').Express) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

describe.each(DATABASE_KINDS)('coordinator operational endpoints on %s', (kind) => {
  let database: TestDatabase;
  let store: Store;
  let base: string;
  let close: () => Promise<unknown>;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = await openStore({ databaseUrl: database.url });
    ({ base, close } = await serve(
      createCoordinatorApp({ store, log, version: '0.0.0-test' }).app,
    ));
  });
  afterAll(async () => {
    await close?.();
    await store?.close();
    await database?.drop();
  });

  it('/healthz answers', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('echoes a plain X-Request-Id and replaces one that could forge log lines', async () => {
    const kept = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'a b"\\n{' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/readyz reports the database and migrations', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true, detail: kind }, migrations: { ok: true } },
    });
  });

  it('/metrics speaks Prometheus text and counts requests by route template', async () => {
    await fetch(`${base}/healthz`);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /custody_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
    expect(text).toContain('custody_process_resident_memory_bytes');
  });

  it('/openapi.json is an OpenAPI 3.1 document describing every served route', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/readyz',
    ]);
    expect(doc.paths['/readyz']!.get).toMatchObject({ responses: { '503': {} } });
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await fetch(`${base}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      status: 404,
      title: 'Not found',
      type: expect.any(String),
    });
  });

  it('answers a wrong method with a problem+json 405 and an Allow header', async () => {
    const res = await fetch(`${base}/readyz`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('/readyz turns 503 when the database goes away', async () => {
    const other = await createTestDatabase(kind);
    const s = await openStore({ databaseUrl: other.url });
    const app = await serve(createCoordinatorApp({ store: s, log, version: 't' }).app);
    try {
      await s.close();
      await other.drop();
      const res = await fetch(`${app.base}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string };
      expect(body.status).toBe('not-ready');
    } finally {
      await app.close();
    }
  });
});

describe('request validation and body errors (problem+json)', () => {
  const echo = defineRoute({
    method: 'post',
    path: '/echo/{id}',
    operationId: 'echo',
    summary: 'echo',
    request: {
      params: z.object({ id: z.string().regex(/^[a-z]+$/) }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).optional() }),
      body: z.object({ txs: z.array(z.string()).min(1) }).strict(),
      bodyLimitBytes: 1024,
    },
    responses: { '200': { description: 'ok' } },
    handler: async ({ body, params, query }) => ({ status: 200, json: { body, params, query } }),
  });
  const boom = defineRoute({
    method: 'get',
    path: '/boom',
    operationId: 'boom',
    summary: 'fails unexpectedly',
    responses: {},
    handler: async () => {
      throw new Error('secret internal detail');
    },
  });
  let base: string;
  let close: () => Promise<unknown>;
  beforeAll(async () => {
    const { app } = createHttpApp({
      log,
      info: { title: 't', version: '1' },
      routes: [echo, boom],
      checks: [],
    });
    ({ base, close } = await serve(app));
  });
  afterAll(async () => close?.());

  const post = (body: string, type = 'application/json', path = '/echo/abc') =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': type } });

  it('accepts a valid request', async () => {
    const res = await post('{"txs":["0x00"]}', 'application/json', '/echo/abc?limit=5');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      body: { txs: ['0x00'] },
      params: { id: 'abc' },
      query: { limit: 5 },
    });
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await post('{"txs": [');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ detail: 'the request body is not valid JSON' });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await post('txs=1', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await post(JSON.stringify({ txs: ['0x'.padEnd(4096, '0')] }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, limitBytes: 1024 });
  });

  it('names the field of a schema violation', async () => {
    const res = await post('{"txs":[]}');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: 'body.txs' });
  });

  it('refuses unknown body fields (mass-assignment)', async () => {
    const res = await post('{"txs":["0x"],"status":"settled"}');
    expect(res.status).toBe(400);
  });

  it('refuses an out-of-range query parameter instead of clamping it', async () => {
    const res = await post('{"txs":["0x"]}', 'application/json', '/echo/abc?limit=1000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: 'query.limit' });
  });

  it('refuses a malformed path parameter', async () => {
    const res = await post('{"txs":["0x"]}', 'application/json', '/echo/ABC%00');
    expect(res.status).toBe(400);
  });

  it('hides the detail of an unexpected error', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internal detail');
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal error' });
  });
});
