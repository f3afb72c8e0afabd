/**
 * API keys: bearer tokens with scopes, stored as the SHA-256 of the token (the token itself is
 * shown once, when the key is created, and never stored or logged). `BOOTSTRAP_API_KEY` is an
 * admin key with every scope that lives only in the environment, for first set-up and tests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../../shared/errors.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Db } from '../../../store/store.ts';

export const SCOPES = ['sequencer', 'institution', 'treasurer', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who a request comes from, once its key is checked. */
export interface Caller {
  /** The key's id, or `bootstrap` for BOOTSTRAP_API_KEY. */
  keyId: string;
  name: string;
  scopes: readonly Scope[];
  rateLimitPerMinute: number;
  /** A Sign-In with Ethereum session: the treasurer it is for (lowercase) and its end. */
  address?: string;
  expiresAt?: Date;
}

const TOKEN_PREFIX = 'ck_';
export const BOOTSTRAP_KEY_ID = 'bootstrap';
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
/** The bootstrap key drives tests and first set-up, including load tests of the API. */
const BOOTSTRAP_RATE_LIMIT_PER_MINUTE = 1_000_000;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** 32 random bytes, base64url: 256 bits a caller cannot guess. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return TOKEN_PREFIX + Buffer.from(bytes).toString('base64url');
}

export interface CreateApiKeyOpts {
  name: string;
  scopes: readonly Scope[];
  rateLimitPerMinute?: number;
  /** Who created it, for the audit log. */
  actor: string;
}

export interface CreatedApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  rateLimitPerMinute: number;
  createdAt: string;
  /** Shown once: only its hash is stored. */
  token: string;
}

export async function createApiKey(db: Db, opts: CreateApiKeyOpts): Promise<CreatedApiKey> {
  const token = newToken();
  const id = newId(ID_PREFIXES.apiKey);
  const scopes = [...new Set(opts.scopes)].sort() as Scope[];
  const rateLimitPerMinute = opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  const row = await db.apiKey.create({
    data: {
      id,
      name: opts.name,
      keyHash: sha256(token).toString('hex'),
      scopes: JSON.stringify(scopes),
      rateLimitPerMinute,
    },
  });
  await appendAudit(db, {
    actor: opts.actor,
    action: 'api-key.created',
    subject: id,
    data: { name: opts.name, scopes, rateLimitPerMinute },
  });
  return { id, name: row.name, scopes, rateLimitPerMinute, createdAt: iso(row.createdAt), token };
}

/**
 * A treasurer's Sign-In with Ethereum session (rest/siwe.ts): a key with the treasurer scope,
 * bound to the address that signed in, that stops working at `expiresAt`.
 */
export async function createSession(
  db: Db,
  opts: { address: string; expiresAt: Date },
): Promise<{ id: string; token: string }> {
  const token = newToken();
  const id = newId(ID_PREFIXES.apiKey);
  await db.apiKey.create({
    data: {
      id,
      name: `session ${opts.address}`,
      keyHash: sha256(token).toString('hex'),
      scopes: JSON.stringify(['treasurer']),
      rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE,
      address: opts.address,
      expiresAt: opts.expiresAt,
    },
  });
  await appendAudit(db, {
    actor: opts.address,
    action: 'session.created',
    subject: id,
    data: { address: opts.address, expiresAt: opts.expiresAt.toISOString() },
  });
  return { id, token };
}

export async function revokeApiKey(db: Db, id: string, actor: string): Promise<ApiKeyView> {
  const row = await db.apiKey.findUnique({ where: { id } });
  if (row === null) throw new NotFoundError(`no API key ${id}`);
  if (row.revokedAt !== null) return view(row);
  const revoked = await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
  await appendAudit(db, {
    actor,
    action: 'api-key.revoked',
    subject: id,
    data: { name: row.name },
  });
  return view(revoked);
}

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  rateLimitPerMinute: number;
  createdAt: string;
  revokedAt: string | null;
}

type ApiKeyRow = NonNullable<Awaited<ReturnType<Db['apiKey']['findUnique']>>>;

export function view(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    rateLimitPerMinute: row.rateLimitPerMinute,
    createdAt: iso(row.createdAt),
    revokedAt: row.revokedAt === null ? null : iso(row.revokedAt),
  };
}

function iso(d: Date): string {
  return d.toISOString();
}

/**
 * The caller a bearer token belongs to; 401 for a missing, unknown or revoked token. The token
 * is looked up by its hash (a lookup reveals nothing about stored tokens), and the bootstrap key
 * is compared in constant time.
 */
export async function authenticateToken(
  db: Db,
  header: string | undefined,
  bootstrapKey: string | undefined,
): Promise<Caller> {
  const token = bearerToken(header);
  const hash = sha256(token);
  if (bootstrapKey !== undefined && timingSafeEqual(hash, sha256(bootstrapKey))) {
    return {
      keyId: BOOTSTRAP_KEY_ID,
      name: 'BOOTSTRAP_API_KEY',
      scopes: SCOPES,
      rateLimitPerMinute: BOOTSTRAP_RATE_LIMIT_PER_MINUTE,
    };
  }
  if (!token.startsWith(TOKEN_PREFIX)) throw new UnauthorizedError('unknown API key');
  const row = await db.apiKey.findUnique({ where: { keyHash: hash.toString('hex') } });
  if (row === null) throw new UnauthorizedError('unknown API key');
  if (row.revokedAt !== null) throw new UnauthorizedError('this API key was revoked');
  if (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now()) {
    throw new UnauthorizedError('this session has expired; sign in again');
  }
  return {
    keyId: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    rateLimitPerMinute: row.rateLimitPerMinute,
    ...(row.address === null ? {} : { address: row.address }),
    ...(row.expiresAt === null ? {} : { expiresAt: row.expiresAt }),
  };
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') {
    throw new UnauthorizedError('an Authorization: Bearer <API key> header is required');
  }
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,256})$/.exec(header);
  if (!match) throw new UnauthorizedError('expected Authorization: Bearer <API key>');
  return match[1]!;
}

/** 403 unless the caller holds one of `allowed` (admin holds every scope). */
export function requireScope(caller: Caller, allowed: readonly string[]): void {
  if (allowed.length === 0 || caller.scopes.includes('admin')) return;
  if (caller.scopes.some((s) => allowed.includes(s))) return;
  throw new ForbiddenError(
    `this API key has scope ${caller.scopes.join(', ') || '(none)'}; the route needs ${allowed.join(' or ')}`,
  );
}
