/**
 * Sign-In with Ethereum (EIP-4361) for the treasurers' dashboard: the page asks for a nonce,
 * the treasurer's wallet signs a sign-in message naming this coordinator, and the coordinator
 * answers with a session: a bearer token with the treasurer scope, bound to that address, that
 * expires. The page never sees a private key of the treasurer's (an injected wallet signs), and
 * the session alone signs nothing: every approval is still the treasurer's own EIP-712 signature.
 *
 * EIP-4361 §"Verifying a signed message" is followed line by line below: the message is parsed
 * and each field checked against this server (domain, URI, chain id, nonce, time), then the
 * signature is checked to recover the message's address. Smart-contract wallets (ERC-1271) would
 * need an Ethereum node to ask, which the coordinator does not have: they are refused.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { getAddress, verifyMessage } from 'viem';
import { parseSiweMessage } from 'viem/siwe';
import { z } from 'zod';
import { CustodyError, ForbiddenError, InvalidInputError } from '../../../shared/errors.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import { createSession, revokeApiKey } from './api-keys.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { problems } from './problems.ts';

/** What the page asks the wallet to sign, so a treasurer reads what the signature is for. */
export const SIWE_STATEMENT =
  'Sign in to the rollup custody dashboard as a treasurer. This signature approves nothing.';
const NONCE_TTL_MS = 10 * 60 * 1000;
/** A session lasts at most this long, whatever the message's expirationTime says. */
export const SESSION_MAX_MS = 8 * 60 * 60 * 1000;
/** issuedAt may be this far ahead of our clock (the wallet's clock is not ours). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_MESSAGE_CHARS = 4096;

export class SignInRefusedError extends CustodyError {
  constructor(detail: string) {
    super('sign-in-refused', 401, 'Sign-in refused', detail);
  }
}

const SignInBody = z
  .object({
    message: z.string().min(1).max(MAX_MESSAGE_CHARS),
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte 0x-hex signature (personal_sign)'),
  })
  .strict();

export const SessionView = z
  .object({
    kind: z
      .enum(['session', 'api-key'])
      .meta({ description: 'a Sign-In with Ethereum session, or an API key (no address)' }),
    address: z.string().nullable(),
    expiresAt: z.string().nullable(),
    development: z.boolean(),
    treasurers: z.array(z.string()),
    treasurerQuorum: z.number().int(),
    institutionQuorum: z.number().int(),
  })
  .meta({ id: 'Session' });

const SignedIn = SessionView.extend({
  token: z.string().meta({ description: 'the bearer token of this session, shown once' }),
}).meta({ id: 'SignedIn' });

export function siweRoutes(deps: RestDeps): Route[] {
  return [signInInfo(deps), nonce(deps), signIn(deps), getSession(deps), signOut(deps)];
}

const SignInInfo = z
  .object({
    statement: z.string(),
    chainId: z.number().int(),
    network: z.string(),
    development: z
      .boolean()
      .meta({ description: 'no TREASURERS configured: any one address is the treasurer' }),
  })
  .meta({ id: 'SiweInfo' });

const NonceAnswer = SignInInfo.extend({ nonce: z.string(), expiresAt: z.string() }).meta({
  id: 'SiweNonce',
});

function info(deps: RestDeps): z.infer<typeof SignInInfo> {
  return {
    statement: SIWE_STATEMENT,
    chainId: Number(deps.chainId),
    network: deps.config.network,
    development: deps.approvals.development,
  };
}

function signInInfo(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/auth/siwe',
    operationId: 'siweInfo',
    summary: 'What a sign-in message must say here (statement, chain id), before any nonce',
    tags: ['sessions'],
    responses: {
      '200': { description: 'The sign-in settings', schema: SignInInfo },
      ...problems(429),
    },
    handler: async () => ({ status: 200, json: info(deps) }),
  });
}

interface SignInRequest {
  headers: { host?: string | undefined; origin?: string | undefined };
  socket: { localPort?: number | undefined };
}

/**
 * The origins a sign-in may come from: this machine's loopback on the port the request reached,
 * and DASHBOARD_ORIGINS. The request's Host must be one of them: a page on another name that
 * resolves here (DNS rebinding), or a relay passing its visitors' sign-ins on, gets nothing.
 */
export function signInOrigins(req: SignInRequest, configured: readonly string[]): string[] {
  const port = req.socket.localPort;
  const loopback =
    port === undefined
      ? []
      : [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  const all = [...loopback, ...configured];
  const host = req.headers.host ?? '';
  const here = all.filter((o) => new URL(o).host === host);
  if (here.length === 0) {
    throw new ForbiddenError(
      `Host: sign-in is answered only at ${all.join(', ')} (DASHBOARD_ORIGINS adds others)`,
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !here.includes(origin)) {
    throw new ForbiddenError(`Origin: a sign-in from ${origin} is not accepted here`);
  }
  return here;
}

/** The unauthenticated sign-in routes get a per-address budget of their own. */
export function signInRateLimit(): RequestHandler {
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: 60,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: () => {
      throw new CustodyError('rate-limited', 429, 'Too many requests', 'too many sign-in requests');
    },
  });
  return (req, res, next) => (req.path.startsWith('/auth/') ? limiter(req, res, next) : next());
}

function nonce(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/auth/siwe/nonce',
    operationId: 'siweNonce',
    summary: 'A single-use nonce for a Sign-In with Ethereum message (valid 10 minutes)',
    tags: ['sessions'],
    responses: {
      '201': { description: 'The nonce', schema: NonceAnswer },
      ...problems(403, 429),
    },
    handler: async ({ req }) => {
      signInOrigins(req, deps.config.dashboardOrigins);
      const now = Date.now();
      // EIP-4361: "at least 8 alphanumeric characters", unpredictable: 128 random bits.
      const value = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
      const expiresAt = new Date(now + NONCE_TTL_MS);
      await deps.db.siweNonce.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
      await deps.db.siweNonce.create({ data: { nonce: value, expiresAt } });
      return {
        status: 201,
        json: { nonce: value, expiresAt: expiresAt.toISOString(), ...info(deps) },
      };
    },
  });
}

function signIn(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/auth/siwe',
    operationId: 'siweSignIn',
    summary: 'Sign in as a treasurer with a signed EIP-4361 message; answers a session token',
    tags: ['sessions'],
    request: { body: SignInBody },
    responses: {
      '201': { description: 'Signed in', schema: SignedIn },
      ...problems(400, 401, 403, 413, 415, 429),
    },
    handler: async ({ body, req }) => {
      const now = Date.now();
      const origins = signInOrigins(req, deps.config.dashboardOrigins);
      const fields = checkMessage(body.message, {
        origins,
        chainId: Number(deps.chainId),
        now,
      });
      // "the signature is verified against the address": an EOA's personal_sign.
      const valid = await verifyMessage({
        address: fields.address,
        message: body.message,
        signature: body.signature as `0x${string}`,
      }).catch(() => false);
      if (!valid) {
        throw new SignInRefusedError(`the signature is not ${fields.address}'s over this message`);
      }
      const address = fields.address.toLowerCase();
      if (!deps.approvals.isTreasurer(address)) {
        throw new ForbiddenError(`${fields.address} is not a configured treasurer`);
      }
      // Single use: claimed only by a request whose signature verified, so a forged request
      // cannot burn a treasurer's nonce.
      const claimed = await deps.db.siweNonce.updateMany({
        where: { nonce: fields.nonce, usedAt: null, expiresAt: { gt: new Date(now) } },
        data: { usedAt: new Date(now) },
      });
      if (claimed.count !== 1) {
        throw new SignInRefusedError('nonce: unknown, already used or expired; ask for a new one');
      }
      const expiresAt = new Date(
        Math.min(now + SESSION_MAX_MS, fields.expirationTime?.getTime() ?? Infinity),
      );
      // Sessions that ended a day ago are of no use to anyone: they go as new ones come.
      await deps.db.apiKey.deleteMany({
        where: { address: { not: null }, expiresAt: { lt: new Date(now - 86_400_000) } },
      });
      const session = await createSession(deps.db, { address, expiresAt });
      if (deps.approvals.development) {
        deps.log.warn({ address }, 'development treasurer signed in (no TREASURERS configured)');
      }
      return {
        status: 201,
        json: { ...sessionView(deps, address, expiresAt), token: session.token },
      };
    },
  });
}

interface Expected {
  /** The origins this request may sign in from, all on the request's host. */
  origins: readonly string[];
  chainId: number;
  now: number;
}

interface CheckedFields {
  address: `0x${string}`;
  nonce: string;
  expirationTime?: Date | undefined;
}

/** EIP-4361's checks of the message itself, each refusal naming its field. */
export function checkMessage(message: string, expected: Expected): CheckedFields {
  const m = parseSiweMessage(message);
  const field = (name: string, detail: string) =>
    new InvalidInputError(`message.${name}: ${detail}`, { field: `message.${name}` });
  if (m.address === undefined) throw field('address', 'missing or not an address');
  if (m.version !== '1') throw field('version', 'expected 1');
  const host = new URL(expected.origins[0] as string).host;
  // "the domain ... MUST match the domain of the server": the host the page was served from.
  if (m.domain !== host) {
    throw field('domain', `expected ${host}, the host this page was served from`);
  }
  let uriOrigin: string | undefined;
  try {
    uriOrigin = m.uri === undefined ? undefined : new URL(m.uri).origin;
  } catch {
    uriOrigin = undefined;
  }
  if (uriOrigin === undefined || !expected.origins.includes(uriOrigin)) {
    throw field('uri', `expected a URI at ${expected.origins.join(' or ')}`);
  }
  if (m.chainId !== expected.chainId) {
    throw field('chainId', `expected ${expected.chainId}, this rollup's chain id`);
  }
  if (m.nonce === undefined) throw field('nonce', 'missing');
  if (m.statement !== SIWE_STATEMENT) throw field('statement', `expected "${SIWE_STATEMENT}"`);
  // A date the parser could not read is NaN, and every comparison with NaN is false: it would
  // pass the time checks below unread. Each must be a date (RFC 3339) or absent.
  const dates = { issuedAt: m.issuedAt, expirationTime: m.expirationTime, notBefore: m.notBefore };
  for (const [name, d] of Object.entries(dates)) {
    if (d !== undefined && Number.isNaN(d.getTime())) throw field(name, 'not an RFC 3339 date');
  }
  if (m.issuedAt === undefined) throw field('issuedAt', 'missing');
  if (m.issuedAt.getTime() > expected.now + CLOCK_SKEW_MS) throw field('issuedAt', 'in the future');
  if (m.expirationTime !== undefined && m.expirationTime.getTime() <= expected.now) {
    throw field('expirationTime', 'the message has expired');
  }
  if (m.notBefore !== undefined && m.notBefore.getTime() > expected.now) {
    throw field('notBefore', 'the message is not valid yet');
  }
  return { address: getAddress(m.address), nonce: m.nonce, expirationTime: m.expirationTime };
}

function sessionView(deps: RestDeps, address: string | null, expiresAt: Date | null) {
  const s = deps.approvals.settings;
  const development = deps.approvals.development;
  return {
    kind: address === null ? ('api-key' as const) : ('session' as const),
    address,
    expiresAt: expiresAt?.toISOString() ?? null,
    development,
    treasurers: development ? (address === null ? [] : [address]) : [...s.treasurers],
    treasurerQuorum: deps.approvals.development ? 1 : s.treasurerQuorum,
    institutionQuorum: s.institutionQuorum,
  };
}

function requireSession(caller: ReturnType<typeof callerOf>) {
  if (caller.address === undefined || caller.expiresAt === undefined) {
    throw new ForbiddenError(
      'this is an API key, not a Sign-In with Ethereum session: revoke it with DELETE /v1/api-keys/{id}',
    );
  }
  return { address: caller.address, expiresAt: caller.expiresAt };
}

function getSession(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/session',
    operationId: 'getSession',
    summary:
      "Who is calling: this session's treasurer and its end (null for an API key), and the quorum",
    tags: ['sessions'],
    auth: true,
    scopes: ['treasurer'],
    responses: {
      '200': { description: 'The session', schema: SessionView },
      ...problems(401, 403, 429),
    },
    handler: async ({ res }) => {
      const c = callerOf(res);
      return { status: 200, json: sessionView(deps, c.address ?? null, c.expiresAt ?? null) };
    },
  });
}

function signOut(deps: RestDeps): Route {
  return defineRoute({
    method: 'delete',
    path: '/v1/session',
    operationId: 'signOut',
    summary: 'End this session (its token stops working at once)',
    tags: ['sessions'],
    auth: true,
    scopes: ['treasurer'],
    responses: { '204': { description: 'Signed out' }, ...problems(401, 403, 429) },
    handler: async ({ res }) => {
      const caller = callerOf(res);
      const s = requireSession(caller);
      await revokeApiKey(deps.db, caller.keyId, s.address);
      return { status: 204, text: '', contentType: 'text/plain' };
    },
  });
}
