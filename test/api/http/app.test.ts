/**
 * The access log of every HTTP service: a readiness probe's "not ready" answer is logged below
 * warn (it is polled every second while the signers start), while a real 5xx stays an error.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpApp } from '../../../src/api/http/app.ts';
import { defineRoute } from '../../../src/api/http/routes.ts';
import { CustodyError } from '../../../src/shared/errors.ts';

interface LogLine {
  level: number;
  msg: string;
  req?: { url: string };
  res?: { statusCode: number };
  err?: unknown;
}

const WARN = 40;
const ERROR = 50;

describe('access log levels', () => {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  let ready = false;
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;

  beforeAll(async () => {
    const { app } = createHttpApp({
      log: pino({ level: 'trace' }, sink),
      info: { title: 'log levels', version: '0' },
      checks: [{ name: 'signers', check: async () => ({ ok: ready, detail: 'starting' }) }],
      routes: [
        defineRoute({
          method: 'get',
          path: '/broken',
          operationId: 'broken',
          summary: 'fails on purpose',
          responses: { '200': { description: 'never', schema: z.object({}) } },
          handler: async () => {
            throw new Error('the handler failed');
          },
        }),
        defineRoute({
          method: 'get',
          path: '/unavailable',
          operationId: 'unavailable',
          summary: 'a real 503 from a route',
          responses: { '200': { description: 'never', schema: z.object({}) } },
          handler: async () => {
            throw new CustodyError('signing-failed', 503, 'Signing failed', 'no quorum');
          },
        }),
      ],
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(r));
  });
  afterAll(() => close());

  const accessLine = (url: string) => {
    const found = lines.filter((l) => l.req?.url === url);
    expect(found, url).toHaveLength(1);
    return found[0]!;
  };

  it('readiness probe logged as error: a 503 "not ready" answer is logged below warn', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const line = accessLine('/readyz');
    expect(line.level).toBeLessThan(WARN);
    expect(line.msg).toBe('not ready');
    expect(line.err).toBeUndefined();
    ready = true;
    expect((await fetch(`${base}/readyz?again`)).status).toBe(200);
    expect(accessLine('/readyz?again').level).toBeLessThan(WARN);
  });

  it('a real 5xx (an unhandled error, a 503 problem from a route) stays at error', async () => {
    expect((await fetch(`${base}/broken`)).status).toBe(500);
    expect((await fetch(`${base}/unavailable`)).status).toBe(503);
    expect(accessLine('/broken')).toMatchObject({ level: ERROR, msg: 'request errored' });
    expect(accessLine('/unavailable')).toMatchObject({ level: ERROR, msg: 'request errored' });
  });
});
