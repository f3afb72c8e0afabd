/**
 * Hostile input against every route of the coordinator's REST API, property-based (fast-check):
 * malformed, oversized and hostile paths, queries, bodies and headers get a 4xx
 * application/problem+json answer whose `status` is the HTTP status — never a 5xx, never a
 * hang — nothing is stored, and the process stays healthy.
 *
 * The /v1 routes come from /openapi.json at run time (paths, methods, path-parameter patterns,
 * query parameters, body schemas), so a new route is fuzzed without touching this file.
 * Requests go over raw TCP rather than fetch so the bytes are exactly the generated ones: fetch
 * would resolve `..`, refuse control characters and merge repeated headers.
 *
 * The seed is fixed so a run is reproducible; FUZZ_SEED=<n> explores others (fast-check prints
 * the seed and the shrunk counterexample of a failure).
 */
import { METHODS } from 'node:http';
import net from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_BODY_BYTES } from '../../../../src/api/coordinator/batch-intake.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../../../src/api/http/routes.ts';
import { BOOTSTRAP, type Started, startRest, until } from './support.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
/** No answer within this is a hang. */
const ANSWER_TIMEOUT_MS = 10_000;
const VALID_AUTH = `Bearer ${BOOTSTRAP}`;

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client.

interface WireRequest {
  method: string;
  /** The request target exactly as sent (a latin1 string: one character, one byte). */
  target: string;
  /** Authorization header lines; default the bootstrap key, [] for none. */
  authorization?: string[];
  /** More header lines, latin1, in order (repeats allowed). */
  headers?: [string, string][];
  body?: Buffer | string;
  /** Body framing: Content-Length (default) or chunked. */
  framing?: 'length' | 'chunked';
  /** Send no Host header. */
  noHost?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function encodeRequest(r: WireRequest): Buffer[] {
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  if (!r.noHost) lines.push('Host: 127.0.0.1');
  lines.push('Connection: close');
  for (const a of r.authorization ?? [VALID_AUTH]) lines.push(`Authorization: ${a}`);
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  const body =
    r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  if (body !== undefined) {
    lines.push(
      r.framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`,
    );
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (body === undefined) return [head];
  const step = 1 << 20;
  const parts: Buffer[] = [head];
  for (let at = 0; at < body.length; at += step) {
    const chunk = body.subarray(at, at + step);
    if (r.framing === 'chunked') parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`));
    parts.push(chunk);
    if (r.framing === 'chunked') parts.push(Buffer.from('\r\n'));
  }
  if (r.framing === 'chunked') parts.push(Buffer.from('0\r\n\r\n'));
  return parts;
}

/** The first final (non-1xx) answer in `all`, or undefined while it is incomplete. */
function parseAnswer(all: Buffer, bodyless: boolean, closed: boolean): Answer | undefined {
  let rest = all;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
    const tail = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = tail;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    if (bodyless || status === 204 || status === 304) return { status, headers, body: '' };
    const length = headers['content-length'];
    if (length !== undefined) {
      if (tail.length < Number(length)) return closed ? { status, headers, body: '' } : undefined;
      return { status, headers, body: tail.subarray(0, Number(length)).toString('utf8') };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      if (!closed && !tail.includes('0\r\n\r\n')) return undefined;
      const out: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = tail.indexOf('\r\n', at);
        const size = Number.parseInt(tail.subarray(at, eol).toString('latin1'), 16);
        if (eol < 0 || !(size > 0)) break;
        out.push(tail.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      return { status, headers, body: Buffer.concat(out).toString('utf8') };
    }
    return closed ? { status, headers, body: tail.toString('utf8') } : undefined;
  }
}

/**
 * Sends `parts` on a fresh connection and reads the first answer; rejects if none comes within
 * ANSWER_TIMEOUT_MS (a hang) or the connection closes without one. Writing stops once the
 * answer is in (a 413 may come before the whole body is sent). `halfClose` ends the writing
 * side after the last part, as a client that has nothing more to send.
 */
function exchange(parts: Buffer[], opts: { bodyless?: boolean; halfClose?: boolean } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean, error?: Error) => {
      if (done) return;
      const answer = parseAnswer(Buffer.concat(received), opts.bodyless ?? false, closed);
      if (answer === undefined && !closed) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer !== undefined) resolve(answer);
      else {
        const got = Buffer.concat(received).toString('latin1').slice(0, 200);
        reject(
          error ??
            new Error(`the connection closed without an answer (got ${JSON.stringify(got)})`),
        );
      }
    };
    const timer = setTimeout(() => {
      finish(true, new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms: the server hangs`));
    }, ANSWER_TIMEOUT_MS);
    socket.on('data', (d: Buffer) => {
      received.push(d);
      finish(false);
    });
    socket.on('close', () => finish(true));
    // A reset after the answer (the server stops reading an oversized body) is not a failure.
    socket.on('error', (error) => finish(true, error));
    socket.on('connect', async () => {
      for (const p of parts) {
        if (done || socket.destroyed) return;
        if (!socket.write(p)) await new Promise((r) => socket.once('drain', r));
      }
      if (opts.halfClose && !socket.destroyed) socket.end();
    });
  });
}

function send(r: WireRequest): Promise<Answer> {
  return exchange(encodeRequest(r), { bodyless: r.method === 'HEAD' });
}

// ---------------------------------------------------------------------------------------------
// What every answer must be.

const describeRequest = (r: WireRequest) =>
  `${r.method} ${JSON.stringify(r.target.length > 160 ? `${r.target.slice(0, 160)}…` : r.target)}`;

/** A 4xx problem+json answer among `statuses`, its body's `status` the HTTP status. */
function expectProblem(a: Answer, statuses: readonly number[], what: string, bodyless = false) {
  const where = `${what} → ${a.status} ${a.headers['content-type']} ${a.body.slice(0, 300)}`;
  expect(a.status, where).toBeGreaterThanOrEqual(400);
  expect(a.status, where).toBeLessThan(500);
  expect(statuses, where).toContain(a.status);
  expect(a.headers['content-type'], where).toMatch(/^application\/problem\+json(;|$)/);
  if (bodyless) return;
  let problem: unknown;
  expect(() => {
    problem = JSON.parse(a.body);
  }, where).not.toThrow();
  expect(problem, where).toMatchObject({
    status: a.status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
}

async function expectRefused(r: WireRequest, statuses: readonly number[]): Promise<Answer> {
  const a = await send(r);
  expectProblem(a, statuses, describeRequest(r), r.method === 'HEAD');
  return a;
}

// ---------------------------------------------------------------------------------------------
// The routes, from /openapi.json.

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  pattern?: string;
  minLength?: number;
  minItems?: number;
  minimum?: number;
  $ref?: string;
}

interface Operation {
  method: string;
  path: string;
  operationId: string;
  params: { name: string; pattern: RegExp | undefined }[];
  query: { name: string; pattern: RegExp | undefined }[];
  body: JsonSchema | undefined;
  auth: boolean;
  /** The path with a well-formed (unknown) id in each parameter. */
  target: string;
  bodyLimit: number;
}

/** The batch route takes MAX_SUBMITTED_TXS transactions; every other body route the default. */
const BODY_LIMITS: Record<string, number> = { submitBatch: MAX_BATCH_BODY_BYTES };

let s: Started;
let port: number;
let doc: { paths: Record<string, Record<string, Record<string, unknown>>>; components?: unknown };
let ops: Operation[];
let bodyOps: Operation[];
let before: Record<string, number>;
let prototypeBefore: string[];

function resolveSchema(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (schema?.$ref === undefined) return schema;
  let at: unknown = doc;
  for (const part of schema.$ref.replace(/^#\//, '').split('/')) {
    at = (at as Record<string, unknown>)[part];
  }
  return resolveSchema(at as JsonSchema);
}

const patternOf = (schema: JsonSchema | undefined) => {
  const p = resolveSchema(schema)?.pattern;
  return p === undefined ? undefined : new RegExp(p);
};

/** A value of `schema`'s shape (the body then passes validation: the handler decides). */
function minimalInstance(schema: JsonSchema | undefined): unknown {
  const sc = resolveSchema(schema) ?? {};
  if (sc.enum !== undefined) return sc.enum[0];
  switch (sc.type) {
    case 'object':
      return Object.fromEntries(
        (sc.required ?? []).map((k) => [k, minimalInstance(sc.properties?.[k])]),
      );
    case 'array':
      return Array.from({ length: sc.minItems ?? 0 }, () => minimalInstance(sc.items));
    case 'string':
      return sc.pattern === undefined
        ? 'x'.repeat(Math.max(1, sc.minLength ?? 1))
        : sample(fc.stringMatching(new RegExp(sc.pattern)));
    case 'integer':
    case 'number':
      return sc.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function sample<T>(arb: fc.Arbitrary<T>): T {
  return fc.sample(arb, { numRuns: 1, seed: SEED })[0]!;
}

function readOperations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = (op.parameters ?? []) as {
        in: string;
        name: string;
        schema: JsonSchema;
      }[];
      const params = parameters
        .filter((p) => p.in === 'path')
        .map((p) => ({ name: p.name, pattern: patternOf(p.schema) }));
      const requestBody = op.requestBody as
        | { content?: Record<string, { schema?: JsonSchema }> }
        | undefined;
      let target = path;
      for (const p of params) {
        const id = p.pattern === undefined ? 'x' : sample(fc.stringMatching(p.pattern));
        target = target.replace(`{${p.name}}`, () => encodeURIComponent(id));
      }
      const operationId = String(op.operationId);
      out.push({
        method: method.toUpperCase(),
        path,
        operationId,
        params,
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, pattern: patternOf(p.schema) })),
        body: resolveSchema(requestBody?.content?.['application/json']?.schema),
        auth: Array.isArray(op.security) && op.security.length > 0,
        target,
        bodyLimit: BODY_LIMITS[operationId] ?? DEFAULT_BODY_LIMIT_BYTES,
      });
    }
  }
  return out;
}

const TABLES = ['batch', 'settlement', 'approval', 'apiKey', 'idempotencyRecord', 'auditEntry'];

async function rowCounts(): Promise<Record<string, number>> {
  const db = s.running.store.db as unknown as Record<string, { count(): Promise<number> }>;
  const counts: Record<string, number> = {};
  for (const t of TABLES) counts[t] = await db[t]!.count();
  return counts;
}

beforeAll(async () => {
  s = await startRest();
  port = Number(new URL(s.running.url).port);
  await until(
    () => fetch(`${s.running.url}/readyz`).then((r) => r.status),
    (status) => status === 200,
  );
  doc = (await (await fetch(`${s.running.url}/openapi.json`)).json()) as typeof doc;
  ops = readOperations();
  bodyOps = ops.filter((o) => o.body !== undefined);
  before = await rowCounts();
  prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

// ---------------------------------------------------------------------------------------------
// Generators.

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIXES = ['bat', 'stl', 'apr', 'sig', 'sgn', 'key'];
const ulid = fc.string({ unit: fc.constantFrom(...CROCKFORD), minLength: 26, maxLength: 26 });
const anyPrefixId = fc.tuple(fc.constantFrom(...PREFIXES), ulid).map(([p, u]) => `${p}_${u}`);
/** Characters that may stand unescaped in a path segment. */
const SEGMENT_SAFE = "abcXYZ0189-._~!$&'()*+,;=:@";
const segmentSafe = fc.constantFrom(...SEGMENT_SAFE);
const pctEncodeAll = (text: string) =>
  [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
/** Control characters llhttp refuses in a header value (HTAB excepted). */
const CONTROLS = [
  ...Array.from({ length: 9 }, (_, i) => String.fromCharCode(i)),
  ...Array.from({ length: 21 }, (_, i) => String.fromCharCode(11 + i)),
  '\x7f',
].filter((c) => c !== '\r');
const hasControl = (v: string) => [...v].some((c) => CONTROLS.includes(c) || c === '\n');
const owsTrim = (v: string) => v.replace(/^[ \t]+|[ \t]+$/g, '');
/** Header text: printable ASCII, HTAB, obs-text (latin1 bytes 0x80-0xff). */
const headerChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\t', '\x80', '\xa0', '\xe9', '\xff') },
);
/** UTF-8 text as the latin1 string of its bytes, the way it crosses the wire in a header. */
const asWireText = (text: string) => Buffer.from(text).toString('latin1');

/**
 * One raw path segment for a route's id: hostile in every way a client can spell it. Never
 * contains a raw `/`, `?`, `#` or space (those would change the route, not the id).
 */
const hostileId = fc.oneof(
  // Any unicode (NUL and other controls included), percent-encoded as a client would.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  // NUL bytes next to or inside a well-formed id.
  fc
    .tuple(anyPrefixId, fc.constantFrom('%00', '%00%00', '%C0%80'), fc.nat(30))
    .map(([id, nul, at]) => id.slice(0, at) + nul + id.slice(at)),
  // Very long.
  fc
    .tuple(fc.constantFrom('a', '0', '%41', 'bat_', 'stl_0'), fc.integer({ min: 100, max: 1500 }))
    .map(([c, n]) => c.repeat(n)),
  // Dot segments and traversal, raw and encoded (nothing normalises them on the way).
  fc.constantFrom(
    '.',
    '..',
    '...',
    '%2e',
    '%2e%2e',
    '%2E%2E',
    '.%2e',
    '..%2f..',
    '..%5c..',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..;',
    '%252e%252e',
  ),
  // Malformed escapes and escapes that are not UTF-8.
  fc.constantFrom('%', '%%', '%z', '%zz', '%0', '%e0%a4', '%c0%af', '%ff', '%80', '%ed%a0%80'),
  fc.tuple(anyPrefixId, fc.constantFrom('%', '%zz', '%e0', '%f0%9f')).map(([id, bad]) => id + bad),
  // Ids of the wrong kind, and near misses: lower case, a letter Crockford leaves out, one
  // character short or over, another separator.
  fc
    .tuple(
      fc.constantFrom(...PREFIXES),
      ulid,
      fc.constantFrom('as-is', 'lower', 'short', 'long', 'excluded', 'dash', 'upper-prefix'),
    )
    .map(([p, u, how]) => {
      switch (how) {
        case 'lower':
          return `${p}_${u.toLowerCase()}`;
        case 'short':
          return `${p}_${u.slice(1)}`;
        case 'long':
          return `${p}_${u}0`;
        case 'excluded':
          return `${p}_${u.slice(0, 25)}U`;
        case 'dash':
          return `${p}-${u}`;
        case 'upper-prefix':
          return `${p.toUpperCase()}_${u}`;
        default:
          return `${p}_${u}`;
      }
    }),
  // A well-formed id written entirely as escapes (it decodes to the id).
  anyPrefixId.map(pctEncodeAll),
  // Unescaped junk from the characters a segment allows.
  fc.string({ unit: segmentSafe, minLength: 1, maxLength: 60 }),
);

/** What the router makes of a raw segment: 400 unless it decodes to a well-formed id. */
function statusForId(raw: string, pattern: RegExp | undefined): 400 | 404 {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return 400;
  }
  return pattern === undefined || pattern.test(decoded) ? 404 : 400;
}

const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  '__lookupSetter__',
  'hasOwnProperty',
  'isPrototypeOf',
  'toString',
  'valueOf',
  '',
  ' ',
  '\u0000',
  '\u202etxs',
  'TXS',
  'Name',
  'decision ',
];
const POLLUTION_VALUES = [
  '{"polluted":true}',
  '{"prototype":{"polluted":true}}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Whether `v` has the JSON type `schema` asks for (true when the schema names none). */
function fitsType(v: unknown, schema: JsonSchema | undefined): boolean {
  const sc = resolveSchema(schema);
  const t = jsonTypeOf(v);
  switch (sc?.type) {
    case 'string':
    case 'boolean':
    case 'object':
      return t === sc.type;
    case 'integer':
      return t === 'integer';
    case 'number':
      return t === 'integer' || t === 'number';
    case 'array':
      return t === 'array' && (v as unknown[]).every((x) => fitsType(x, sc.items));
    default:
      return true;
  }
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const jsonText = (v: unknown) => JSON.stringify(v);
const objectText = (entries: [string, string][]) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/**
 * JSON bodies `schema` refuses, by construction: not an object; an object with a key the
 * schema lacks (prototype-pollution keys first: every body schema is closed); a known key
 * with a value of the wrong JSON type; deep nesting; huge strings where no string belongs.
 */
function invalidBodies(schema: JsonSchema): fc.Arbitrary<string> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  const typed = names.filter((n) => resolveSchema(properties[n])?.type !== undefined);
  const scalar = typed.filter((n) => !['array', 'object'].includes(properties[n]!.type!));
  const unknownKey = fc
    .oneof(
      fc.constantFrom(...HOSTILE_KEYS),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.integer({ min: 200, max: 5000 }).map((n) => 'k'.repeat(n)),
    )
    .filter((k) => !Object.hasOwn(properties, k));
  const knownEntries = fc
    .tuple(
      fc.shuffledSubarray(names),
      fc.array(anyJson, { minLength: names.length, maxLength: names.length }),
    )
    .map(([keys, values]) => keys.map((k, i): [string, string] => [k, jsonText(values[i])]));
  const strategies: fc.Arbitrary<string>[] = [
    // Not an object at the top.
    fc
      .oneof(
        fc.array(anyJson, { maxLength: 5 }),
        fc.string({ unit: 'binary' }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
      )
      .map(jsonText),
    // A key the schema does not have, among known ones.
    fc
      .tuple(
        knownEntries,
        fc.array(
          fc.tuple(
            unknownKey,
            fc.oneof(anyJson.map(jsonText), fc.constantFrom(...POLLUTION_VALUES)),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        fc.nat(),
      )
      .map(([known, hostile, at]) => {
        const i = at % (known.length + 1);
        return objectText([...known.slice(0, i), ...hostile, ...known.slice(i)]);
      }),
    // Deep nesting at the top or under a key where nothing nested belongs.
    fc
      .tuple(
        fc.integer({ min: 2, max: 120_000 }),
        fc.constantFrom('array', 'object'),
        fc.option(fc.oneof(unknownKey, ...(scalar.length ? [fc.constantFrom(...scalar)] : []))),
      )
      .map(([n, kind, key]) => {
        const nested =
          kind === 'array'
            ? '['.repeat(n) + ']'.repeat(n)
            : `${'{"\\u0000":'.repeat(n)}0${'}'.repeat(n)}`;
        return key === null ? nested : objectText([[key, nested]]);
      }),
    // Huge strings: at the top, under an unknown key, or for a known key that takes no string.
    fc
      .tuple(
        fc.integer({ min: 1000, max: 900_000 }),
        fc.constantFrom('x', '\\u0000', 'é', '\\"'),
        fc.option(
          fc.oneof(
            unknownKey,
            ...typed.filter((n) => properties[n]!.type !== 'string').map((n) => fc.constant(n)),
          ),
        ),
      )
      .map(([n, unit, key]) => {
        const huge = `"${unit.repeat(Math.ceil(n / unit.length))}"`;
        return key === null ? huge : objectText([[key, huge]]);
      }),
  ];
  if (typed.length > 0) {
    // Known keys only, one of them (last, so a duplicate cannot mend it) of the wrong type.
    strategies.push(
      fc.tuple(knownEntries, fc.constantFrom(...typed)).chain(([known, wrong]) =>
        fc
          .oneof(anyJson, fc.array(anyJson, { minLength: 1, maxLength: 4 }))
          .filter((v) => !fitsType(v, properties[wrong]))
          .map((v) => objectText([...known.filter(([k]) => k !== wrong), [wrong, jsonText(v)]])),
      ),
    );
  }
  return fc.oneof(...strategies);
}

// ---------------------------------------------------------------------------------------------
// Properties, one per attack.

const run = <Ts extends [unknown, ...unknown[]]>(numRuns: number, p: fc.IAsyncProperty<Ts>) =>
  fc.assert(p, { numRuns, seed: SEED });

// Generous: each property is a few hundred requests, slower when other suites share the machine.
describe('hostile input against every /v1 route', { timeout: 120_000 }, () => {
  it('finds the /v1 routes in /openapi.json', () => {
    expect(ops.length).toBeGreaterThanOrEqual(15);
    expect(bodyOps.length).toBeGreaterThanOrEqual(3);
    for (const o of ops) expect(o.auth, `${o.method} ${o.path}`).toBe(true);
  });

  it('blocks missing, malformed, unknown, foreign-scheme and repeated Authorization with 401', async () => {
    const mutated = fc
      .tuple(
        fc.nat(BOOTSTRAP.length),
        fc.constantFrom('drop', 'insert', 'replace', 'case', 'cut'),
        headerChar,
      )
      .map(([i, how, c]) => {
        switch (how) {
          case 'drop':
            return BOOTSTRAP.slice(0, i) + BOOTSTRAP.slice(i + 1);
          case 'insert':
            return BOOTSTRAP.slice(0, i) + c + BOOTSTRAP.slice(i);
          case 'replace':
            return BOOTSTRAP.slice(0, i) + c + BOOTSTRAP.slice(i + 1);
          case 'case':
            return BOOTSTRAP.toUpperCase();
          default:
            return BOOTSTRAP.slice(0, i);
        }
      });
    const value = fc.oneof(
      fc.string({ unit: headerChar, maxLength: 300 }),
      fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        `bearer ${BOOTSTRAP}`,
        `BEARER ${BOOTSTRAP}`,
        `Bearer  ${BOOTSTRAP}`,
        `Bearer\t${BOOTSTRAP}`,
        `Bearer "${BOOTSTRAP}"`,
        `Bearer ${BOOTSTRAP}, Bearer ${BOOTSTRAP}`,
        `Bearer ${BOOTSTRAP};`,
        BOOTSTRAP,
        `Basic ${Buffer.from(`admin:${BOOTSTRAP}`).toString('base64')}`,
        `Token ${BOOTSTRAP}`,
        'Digest username="admin", response="x"',
        'Negotiate YIIB',
        'Bearer ck_',
        `Bearer ck_${'A'.repeat(43)}`,
        `Bearer ${'a'.repeat(257)}`,
        `Bearer ${'a'.repeat(8000)}`,
        'Bearer null',
        'Bearer undefined',
        'Bearer %00',
        'Bearer ../../etc/passwd',
      ),
      mutated.map((t) => `Bearer ${t}`),
      fc
        .string({ unit: fc.constantFrom(...'ABCabc019-_'), minLength: 43, maxLength: 43 })
        .map((t) => `Bearer ck_${t}`),
      fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => `Bearer ${asWireText(t)}`),
      // Control characters (NUL, DEL, ESC…) in the key: refused by the HTTP parser itself.
      fc
        .tuple(fc.nat(BOOTSTRAP.length), fc.constantFrom(...CONTROLS))
        .map(([i, c]) => `Bearer ${BOOTSTRAP.slice(0, i)}${c}${BOOTSTRAP.slice(i)}`),
    );
    const lines = fc.oneof(
      fc.constant<string[]>([]),
      value.map((v) => [v]),
      // Repeated Authorization, the valid key among them.
      fc.tuple(fc.array(value, { minLength: 1, maxLength: 2 }), fc.nat()).map(([vs, at]) => {
        const i = at % (vs.length + 1);
        return [...vs.slice(0, i), VALID_AUTH, ...vs.slice(i)];
      }),
    );
    await run(
      300,
      fc.asyncProperty(fc.constantFrom(...ops), lines, async (op, authorization) => {
        const parserRefuses = authorization.some(hasControl);
        fc.pre(
          parserRefuses || authorization.length !== 1 || owsTrim(authorization[0]!) !== VALID_AUTH,
        );
        const r: WireRequest = { method: op.method, target: op.target, authorization };
        // A body the route would take: only the key stands between it and the handler.
        if (op.body) {
          r.body = JSON.stringify(minimalInstance(op.body));
          r.headers = [['Content-Type', 'application/json']];
        }
        const a = await expectRefused(r, [parserRefuses ? 400 : 401]);
        if (!parserRefuses) expect(a.body).toMatch(/urn:rollup-custody:problem:unauthorized/);
      }),
    );
  });

  it('blocks hostile path ids (NUL, unicode, very long, .., percent-encodings, wrong prefix) with 400, unknown ids with 404', async () => {
    const withIds = ops.filter((o) => o.params.length > 0);
    // Mostly hostile; sometimes well-formed for the route's kind, plain or all-escaped (a 404).
    const idFor = (pattern: RegExp | undefined) =>
      pattern === undefined
        ? hostileId
        : fc.oneof(
            { weight: 8, arbitrary: hostileId },
            { weight: 1, arbitrary: fc.stringMatching(pattern) },
            { weight: 1, arbitrary: fc.stringMatching(pattern).map(pctEncodeAll) },
          );
    expect(withIds.length).toBeGreaterThan(0);
    await run(
      400,
      fc.asyncProperty(
        fc
          .constantFrom(...withIds)
          .chain((op) =>
            fc.tuple(fc.constant(op), fc.tuple(...op.params.map((p) => idFor(p.pattern)))),
          ),
        async ([op, raws]) => {
          let target = op.path;
          op.params.forEach((p, i) => {
            target = target.replace(`{${p.name}}`, () => raws[i]!);
          });
          const statuses = op.params.map((p, i) => statusForId(raws[i]!, p.pattern));
          const expected = statuses.includes(400) ? 400 : 404;
          const r: WireRequest = { method: op.method, target };
          if (op.body) {
            r.body = JSON.stringify(minimalInstance(op.body));
            r.headers = [['Content-Type', 'application/json']];
          }
          await expectRefused(r, [expected]);
        },
      ),
    );
  });

  it('blocks hostile query strings (repeated params, arrays, huge values, unknown and prototype keys) on the list routes', async () => {
    const lists = ops.filter((o) => o.method === 'GET' && o.params.length === 0);
    const key = (op: Operation) =>
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            ...(op.query.length ? op.query.map((q) => q.name) : ['limit']),
          ),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            '__proto__',
            'constructor',
            'prototype',
            'hasOwnProperty',
            'limit[]',
            'limit[0]',
            'cursor[a]',
            'limit.x',
            'LIMIT',
            'limit ',
            '',
          ),
        },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      );
    const value = fc.oneof(
      fc.constantFrom(
        '',
        '0',
        '1',
        '20',
        '100',
        '101',
        '-1',
        '1e2',
        '01',
        '1.0',
        ' 1',
        '0x10',
        'NaN',
        'null',
        '[]',
        '9999999999',
        '10000000000',
      ),
      fc.integer({ min: 1, max: 120 }).map(String),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.integer({ min: 100, max: 1800 }).map((n) => '9'.repeat(n)),
      anyPrefixId,
    );
    const entry = (op: Operation) =>
      fc
        .tuple(key(op), value, fc.constantFrom('k=v', 'k', 'k=', 'k[]=v', 'k=v+'))
        .map(([k, v, form]) => {
          const ek = encodeURIComponent(k);
          const ev = encodeURIComponent(v);
          return form === 'k=v'
            ? `${ek}=${ev}`
            : form === 'k'
              ? ek
              : form === 'k='
                ? `${ek}=`
                : form === 'k[]=v'
                  ? `${ek}[]=${ev}`
                  : `${ek}=${ev}+`;
        });
    await run(
      300,
      fc.asyncProperty(
        fc.constantFrom(...lists).chain((op) =>
          fc.tuple(
            fc.constant(op),
            fc.oneof(
              fc.array(entry(op), { minLength: 1, maxLength: 6 }).map((es) => es.join('&')),
              fc.string({
                unit: fc.constantFrom(...`${SEGMENT_SAFE}%&=?/`),
                minLength: 1,
                maxLength: 80,
              }),
            ),
          ),
        ),
        async ([op, query]) => {
          const r: WireRequest = { method: 'GET', target: `${op.path}?${query}` };
          // The app parses queries with node:querystring ('simple'); so does this oracle.
          const parsed = parseQuery(query);
          const declared = new Map(op.query.map((q) => [q.name, q.pattern]));
          const valid =
            op.query.length === 0 ||
            Object.entries(parsed).every(
              ([k, v]) =>
                declared.has(k) && typeof v === 'string' && (declared.get(k)?.test(v) ?? true),
            );
          if (!valid) {
            await expectRefused(r, [400]);
            return;
          }
          // Genuinely valid (a route without query parameters ignores them): a page, not stored.
          const a = await send(r);
          expect(a.status, `${describeRequest(r)} → ${a.body.slice(0, 200)}`).toBe(200);
          expect(a.headers['content-type']).toMatch(/^application\/json/);
        },
      ),
    );
  });

  it('blocks JSON bodies of the wrong shape (wrong types, deep nesting, huge strings, __proto__ and constructor keys) with 400', async () => {
    await run(
      300,
      fc.asyncProperty(
        fc
          .constantFrom(...bodyOps)
          .chain((op) => fc.tuple(fc.constant(op), invalidBodies(op.body!))),
        async ([op, body]) => {
          const size = Buffer.byteLength(body);
          await expectRefused(
            {
              method: op.method,
              target: op.target,
              headers: [['Content-Type', 'application/json']],
              body,
            },
            [size > op.bodyLimit ? 413 : 400],
          );
        },
      ),
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('blocks bodies that are not JSON under a JSON content type with 400', async () => {
    const notJson = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'binary', maxLength: 300 }).map((t) => Buffer.from(t)),
      fc
        .constantFrom(
          '{',
          '{"txs": [',
          "{'txs': []}",
          '{"a":1,}',
          '{"a":01}',
          '{"a":0x10}',
          '{"a":NaN}',
          '{"a":undefined}',
          '/* */{}',
          '{"a":1}garbage',
          '{"a":1}{"a":2}',
          '\ufeff\ufeff{}',
          '[1,2',
          '"unterminated',
          'nul',
          'tru',
          ' ',
          '\u0000',
          '{"\\ud800":1}',
          '{"a":"\\x00"}',
          '<xml/>',
          'a=1&b=2',
        )
        .map((t) => Buffer.from(t)),
      fc.jsonValue().map((v) => Buffer.from(`${JSON.stringify(v)}\u0000`)),
    );
    const jsonType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json;charset=UTF-8',
    );
    await run(
      200,
      fc.asyncProperty(fc.constantFrom(...bodyOps), notJson, jsonType, async (op, body, type) => {
        await expectRefused(
          { method: op.method, target: op.target, headers: [['Content-Type', type]], body },
          [400],
        );
      }),
    );
  });

  it('blocks wrong content types (also for a body the route would take) with 415', async () => {
    const nonUtf = fc
      .constantFrom('latin1', 'iso-8859-1', 'us-ascii', 'windows-1252', 'koi8-r', 'bogus', 'ucs-2')
      .map((cs) => `application/json; charset=${cs}`);
    const contentType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/json',
        'text/html; charset=utf-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonp',
        'application/json-seq',
        'application/problem+json',
        'application/merge-patch+json',
        'application/vnd.api+json',
        'application/octet-stream',
        '*/*',
        'application/*',
        'json',
        'application',
        ';',
        'application/json/x',
        'application/ json',
        'application/json, text/plain',
        'text/plain, application/json',
        '"application/json"',
        'image/png',
      ),
      nonUtf,
      fc
        .string({ unit: headerChar, maxLength: 60 })
        .filter((t) => owsTrim(t.split(';')[0]!).toLowerCase() !== 'application/json'),
      fc.constant(null),
    );
    await run(
      200,
      fc.asyncProperty(
        fc.constantFrom(...bodyOps),
        contentType,
        fc.oneof(fc.constant('valid'), fc.string({ maxLength: 200 })),
        async (op, type, body) => {
          await expectRefused(
            {
              method: op.method,
              target: op.target,
              headers: type === null ? [] : [['Content-Type', type]],
              body: body === 'valid' ? JSON.stringify(minimalInstance(op.body)) : body,
            },
            [415],
          );
        },
      ),
    );
  });

  it('blocks corrupt, unknown and stacked Content-Encodings (gzip, deflate, br) with 400 or 415, never 500', async () => {
    const garbage = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b));
    const encoded = fc
      .tuple(fc.constantFrom('gzip', 'deflate', 'br'), fc.string({ maxLength: 80 }))
      .map(([enc, text]) => {
        // Compressed text that is not the route's JSON (so the decoded body is refused too).
        const bytes = Buffer.from(`{"\u0000":${JSON.stringify(text)}`);
        const packed =
          enc === 'gzip'
            ? gzipSync(bytes)
            : enc === 'deflate'
              ? deflateSync(bytes)
              : brotliCompressSync(bytes);
        return { enc, body: packed };
      });
    const truncated = encoded.chain(({ enc, body }) =>
      fc.nat(body.length - 1).map((n) => ({ enc, body: body.subarray(0, n) })),
    );
    const body = fc.oneof(
      fc
        .tuple(fc.constantFrom('gzip', 'deflate', 'br', 'GZIP', ' gzip'), garbage)
        .map(([enc, body]) => ({ enc, body })),
      encoded,
      truncated,
      fc
        .tuple(
          fc.constantFrom(
            'x-gzip',
            'compress',
            'zstd',
            'gzip, gzip',
            'identity, gzip',
            'chunked',
            '*',
            '',
          ),
          garbage,
        )
        .map(([enc, body]) => ({ enc, body })),
    );
    await run(
      200,
      fc.asyncProperty(fc.constantFrom(...bodyOps), body, async (op, { enc, body }) => {
        const known = ['gzip', 'deflate', 'br'].includes(owsTrim(enc).toLowerCase());
        await expectRefused(
          {
            method: op.method,
            target: op.target,
            headers: [
              ['Content-Type', 'application/json'],
              ['Content-Encoding', enc],
            ],
            body,
          },
          owsTrim(enc) === '' ? [400] : known ? [400] : [415],
        );
      }),
    );
  });

  it("blocks bodies over the route's limit (1 MiB; 16 MiB for batches), gzip bombs included, with 413", async () => {
    const filler = Buffer.alloc(MAX_BATCH_BODY_BYTES + 70_000, 'a');
    Buffer.from('{"txs":["0x').copy(filler);
    await run(
      16,
      fc.asyncProperty(
        fc.constantFrom(...bodyOps),
        fc.oneof(fc.integer({ min: 1, max: 64 * 1024 }), fc.integer({ min: -64, max: 0 })),
        fc.constantFrom<'length' | 'chunked'>('length', 'chunked'),
        async (op, over, framing) => {
          const body = filler.subarray(0, op.bodyLimit + over);
          await expectRefused(
            {
              method: op.method,
              target: op.target,
              headers: [['Content-Type', 'application/json']],
              body,
              framing,
            },
            [over > 0 ? 413 : 400],
          );
        },
      ),
    );
    for (const op of bodyOps) {
      // A few KiB of gzip that inflates past the limit: the limit counts inflated bytes.
      const bomb = gzipSync(Buffer.alloc(op.bodyLimit + 1, ' '));
      await expectRefused(
        {
          method: op.method,
          target: op.target,
          headers: [
            ['Content-Type', 'application/json'],
            ['Content-Encoding', 'gzip'],
          ],
          body: bomb,
        },
        [413],
      );
    }
  });

  it('blocks hostile Idempotency-Keys (control characters, repeated, 1000 characters, non-ASCII, empty) with 400 before the handler runs', async () => {
    const visible = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 40,
    });
    const keyValue = fc.oneof(
      fc.string({
        unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: 256,
        maxLength: 1000,
      }),
      fc.constant('k'.repeat(1000)),
      fc
        .tuple(
          visible,
          fc.constantFrom(...CONTROLS, ' ', '\t', '\x80', '\xa0', '\xe9', '\xff'),
          visible,
        )
        .map(([a, c, b]) => a + c + b),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map(asWireText),
      fc.constantFrom('', ' ', '\t'),
      visible,
    );
    const lines = fc.oneof(
      keyValue.map((k) => [k]),
      // Repeated: Node joins the lines with ", ", which no key may contain.
      fc.array(keyValue, { minLength: 2, maxLength: 4 }),
      visible.map((k) => [k, k]),
    );
    const posts = bodyOps.filter((o) => o.method === 'POST');
    await run(
      300,
      fc.asyncProperty(fc.constantFrom(...posts), lines, async (op, keys) => {
        const parserRefuses = keys.some(hasControl);
        const seen = keys.map(owsTrim).join(', ');
        // A single visible-ASCII key of 1 to 255 characters is a valid key: not this attack.
        fc.pre(parserRefuses || !/^[\x21-\x7e]{1,255}$/.test(seen));
        const a = await expectRefused(
          {
            method: op.method,
            target: op.target,
            headers: [
              ['Content-Type', 'application/json'],
              ...keys.map((k): [string, string] => ['Idempotency-Key', k]),
            ],
            body: JSON.stringify(minimalInstance(op.body)),
          },
          [400],
        );
        if (!parserRefuses) expect(a.body).toMatch(/Idempotency-Key/);
      }),
    );
  });

  it('answers unknown routes 404 whatever the method, echoing no hostile X-Request-Id', async () => {
    const templates = Object.keys(doc.paths).map(
      (p) =>
        new RegExp(
          `^${p
            .split(/\{\w+\}/)
            .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}/?$`,
          'i',
        ),
    );
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'v2',
        'batches',
        'settlements',
        'approvals',
        'api-keys',
        'audit',
        'custody',
        'signers',
        'psbt',
        'admin',
        'internal',
        'debug',
        '.env',
        '.git',
        'etc',
        'passwd',
        '..',
        '.',
        '%2e%2e',
        '%2f',
        '%00',
        'healthz',
        'metrics',
        'openapi.json',
        '',
      ),
      fc.string({ unit: segmentSafe, minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(encodeURIComponent),
      anyPrefixId,
    );
    const methods = METHODS.filter((m) => m !== 'CONNECT');
    await run(
      300,
      fc.asyncProperty(
        fc.constantFrom('/v1/', '/', '/V1/', '//', '/v1//', '/api/v1/', '/v1/v1/'),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...methods),
        fc.option(fc.string({ unit: headerChar, maxLength: 100 })),
        async (prefix, segments, method, requestId) => {
          const target = prefix + segments.join('/');
          fc.pre(!templates.some((t) => t.test(target)));
          const a = await expectRefused(
            {
              method,
              target,
              authorization: [],
              headers: requestId === null ? [] : [['X-Request-Id', requestId]],
            },
            [404],
          );
          // A client's X-Request-Id is echoed (and logged) only when plain: no forged log lines.
          expect(a.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
        },
      ),
    );
  });

  it('answers a method a route does not have 405 with its Allow header', async () => {
    const paths = [...new Set(ops.map((o) => o.path))];
    const methods = METHODS.filter((m) => m !== 'CONNECT');
    await run(
      300,
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom(...methods),
        fc.boolean(),
        async (path, method, withAuth) => {
          const declared = ops.filter((o) => o.path === path).map((o) => o.method);
          const allowed = declared.includes('GET') ? [...declared, 'HEAD'] : declared;
          fc.pre(!allowed.includes(method));
          const op = ops.find((o) => o.path === path)!;
          const a = await expectRefused(
            { method, target: op.target, authorization: withAuth ? [VALID_AUTH] : [] },
            [405],
          );
          expect(a.headers.allow?.split(', ').sort()).toEqual([...allowed].sort());
        },
      ),
    );
  });

  it('answers bytes that are not HTTP (garbage, broken request lines and headers, cut short) with 4xx problem+json', async () => {
    const targets = [...new Set(ops.map((o) => o.target))];
    const request = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => Buffer.from(b)),
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'DELETE', 'get', 'G', 'GET\t', 'PRI'),
          fc.constantFrom(
            ...targets,
            '*',
            '',
            '\u0000',
            'http://[::1',
            'http://[::1]/v1/batches',
            'http://[fe80::1%25eth0]/v1/batches',
            'http://xn--/v1/batches',
            'ftp://x/v1/batches',
          ),
          fc.constantFrom(
            'HTTP/1.1',
            'HTTP/1.0',
            'HTTP/2.0',
            'HTTP/1.1 ',
            'HTTP/1',
            'http/1.1',
            '',
          ),
          fc.uint8Array({ maxLength: 256 }),
        )
        .map(([m, t, v, junk]) =>
          Buffer.concat([
            Buffer.from(`${m} ${t} ${v}\r\n`),
            Buffer.from(junk),
            Buffer.from('\r\n\r\n'),
          ]),
        ),
    );
    await run(
      200,
      fc.asyncProperty(request, async (bytes) => {
        // A run of line breaks only is no request at all: Node closes without an answer.
        fc.pre(/[^\r\n]/.test(bytes.toString('latin1')));
        const a = await exchange([bytes], { halfClose: true });
        const anyClientError = Array.from({ length: 100 }, (_, i) => 400 + i);
        expectProblem(a, anyClientError, JSON.stringify(bytes.toString('latin1').slice(0, 120)));
      }),
    );
  });
});

describe('regressions found by the hostile-input properties', () => {
  const A = `Authorization: ${VALID_AUTH}\r\n`;
  const raw = (text: string, opts: { halfClose?: boolean } = {}) =>
    exchange([Buffer.from(text, 'latin1')], opts);

  it('a malformed or non-UTF-8 percent-escape in a path id is a 400, not a 500', async () => {
    for (const [method, target] of [
      ['GET', '/v1/batches/%zz'],
      ['GET', '/v1/settlements/%e0%a4/psbt'],
      ['DELETE', '/v1/api-keys/%c0%af'],
      ['POST', '/v1/settlements/%/approvals'],
      ['PUT', '/v1/batches/%ff'],
    ] as const) {
      const a = await expectRefused({ method, target }, [400]);
      expect(a.body).toMatch(/percent-encoded/);
    }
  });

  it('a corrupt gzip, deflate or br body is a 400, not a 500', async () => {
    for (const enc of ['gzip', 'deflate', 'br']) {
      for (const body of ['not compressed', '']) {
        await expectRefused(
          {
            method: 'POST',
            target: '/v1/batches',
            headers: [
              ['Content-Type', 'application/json'],
              ['Content-Encoding', enc],
            ],
            body,
          },
          [400],
        );
      }
    }
  });

  it("a request Node's parser refuses is a problem+json 400 or 431, not a bare one", async () => {
    const cases: [string, number][] = [
      [`GET /v1/batches HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n${A}\r\n`, 400],
      [`GET /v1/batches/\xc3\xa9 HTTP/1.1\r\nHost: x\r\n${A}\r\n`, 400],
      [`FOO /v1/batches HTTP/1.1\r\nHost: x\r\n${A}\r\n`, 400],
      [
        `POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n${A}\r\n0\r\n\r\n`,
        400,
      ],
      [`GET /v1/batches HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n${A}\r\n`, 431],
      [`GET /v1/batches?limit=${'1'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${A}\r\n`, 431],
    ];
    for (const [text, status] of cases) {
      expectProblem(await raw(text), [status], JSON.stringify(text.slice(0, 80)));
    }
    // A body cut short by the client closing its side.
    const cut = `POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n${A}\r\n{"tx`;
    expectProblem(await raw(cut, { halfClose: true }), [400], 'a body cut short');
  });

  it('a request target Express cannot parse is a problem+json 400, not its HTML 404', async () => {
    for (const target of ['http://[::1', 'http://[fe80::1%25eth0]/v1/batches', 'http://xn--/']) {
      const a = await expectRefused({ method: 'GET', target }, [400]);
      expect(a.body).toMatch(/not a valid URL/);
    }
  });

  it('an HTTP/1.1 request without Host is a problem+json 400', async () => {
    const a = await expectRefused({ method: 'GET', target: '/v1/batches', noHost: true }, [400]);
    expect(a.body).toMatch(/Host/);
  });

  it('an Expect other than 100-continue is a problem+json 417', async () => {
    const a = await raw(`GET /v1/batches HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n${A}\r\n`);
    expect(a.status).toBe(417);
    expect(a.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(a.body)).toMatchObject({ status: 417 });
  });

  it('CONNECT is a problem+json 405, not a dropped connection', async () => {
    const a = await raw(`CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(a.status).toBe(405);
    expect(JSON.parse(a.body)).toMatchObject({ status: 405, type: expect.any(String) });
  });

  it('two Authorization headers are a 401 even when one holds the valid key', async () => {
    for (const authorization of [
      [VALID_AUTH, 'Bearer nope'],
      ['Bearer nope', VALID_AUTH],
      [VALID_AUTH, VALID_AUTH],
    ]) {
      const a = await expectRefused({ method: 'GET', target: '/v1/batches', authorization }, [401]);
      expect(a.body).toMatch(/not several/);
    }
  });
});

describe('after the barrage', () => {
  it('stored nothing, polluted no prototype, and stays healthy', async () => {
    expect(await rowCounts()).toEqual(before);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect((await fetch(`${s.running.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.running.url}/readyz`)).status).toBe(200);
    const page = await s.call('GET', '/v1/batches');
    expect(page.status).toBe(200);
  });
});
