/**
 * Coordinator → signer request authentication. The coordinator's identity key signs
 * (audience = the signer's identity key, method, path, sha256(body), timestamp, request id);
 * the signer accepts a request only if the key is one it trusts, the signature verifies, the
 * timestamp is within the allowed skew, and the request id was never seen before. Binding the
 * audience stops a request captured on the way to one signer from being replayed to another.
 * A verified request is named by its hash (the digest the coordinator signed): the signer's
 * response is bound to it, so it answers that request and no other claiming the same id.
 */
import { createHash } from 'node:crypto';
import { UnauthorizedError } from '../../shared/errors.ts';
import { taggedJsonHash } from '../canonical.ts';
import { AuthenticationFailedError, ReplayedRequestError } from '../errors.ts';
import { type IdentityKey, signStatement, verifyStatement } from '../identity.ts';
import { toHex } from '../wire-check.ts';

export const HEADER = {
  key: 'x-custody-key',
  timestamp: 'x-custody-timestamp',
  requestId: 'x-custody-request-id',
  signature: 'x-custody-signature',
} as const;

export const DEFAULT_MAX_SKEW_MS = 30_000;
const REQUEST_ID = /^[A-Za-z0-9_-]{16,64}$/;

export interface RequestToSign {
  method: string;
  /** Path with query string, exactly as sent. */
  path: string;
  body: Uint8Array;
  /** The receiving signer's identity key. */
  audience: string;
}

export interface SignRequestOpts extends RequestToSign {
  identity: IdentityKey;
  timestamp?: number;
  requestId?: string;
}

export type AuthHeaders = Record<(typeof HEADER)[keyof typeof HEADER], string>;

export function signRequest(opts: SignRequestOpts): AuthHeaders {
  const timestamp = opts.timestamp ?? Date.now();
  const requestId =
    opts.requestId ?? Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
  const statement = requestStatement(opts, opts.identity.publicKey, timestamp, requestId);
  return {
    [HEADER.key]: opts.identity.publicKey,
    [HEADER.timestamp]: String(timestamp),
    [HEADER.requestId]: requestId,
    [HEADER.signature]: signStatement(opts.identity, PURPOSE, statement),
  };
}

/** Remembers request ids until they are too old to pass the staleness check anyway. */
export interface ReplayGuard {
  /** false if `requestId` was already recorded; records it otherwise. */
  remember(requestId: string, expiresAtMs: number): boolean | Promise<boolean>;
}

export interface VerifyRequestOpts extends RequestToSign {
  headers: Record<string, string | string[] | undefined>;
  trustedKeys: readonly string[];
  replayGuard: ReplayGuard;
  now?: number;
  maxSkewMs?: number;
}

export interface VerifiedRequest {
  key: string;
  requestId: string;
  timestamp: number;
  /** 0x-hex digest of the statement the coordinator signed (see requestHash). */
  hash: string;
}

const PURPOSE = 'request';

/**
 * The hash of a signed request, from what was sent (or received) and its auth headers: the
 * coordinator computes it for the request it sent, the signer for the request it verified.
 */
export function requestHash(r: RequestToSign, headers: Record<string, string>): string {
  const statement = requestStatement(
    r,
    headers[HEADER.key] ?? '',
    Number(headers[HEADER.timestamp]),
    headers[HEADER.requestId] ?? '',
  );
  return toHex(taggedJsonHash(PURPOSE, statement));
}

export async function verifyRequest(opts: VerifyRequestOpts): Promise<VerifiedRequest> {
  const key = header(opts.headers, HEADER.key);
  const timestampText = header(opts.headers, HEADER.timestamp);
  const requestId = header(opts.headers, HEADER.requestId);
  const signature = header(opts.headers, HEADER.signature);
  if (!opts.trustedKeys.includes(key))
    throw new UnauthorizedError('request signed by an untrusted key');
  if (!REQUEST_ID.test(requestId)) throw new UnauthorizedError(`${HEADER.requestId}: malformed`);
  if (!/^\d{1,15}$/.test(timestampText))
    throw new UnauthorizedError(`${HEADER.timestamp}: malformed`);
  const timestamp = Number(timestampText);
  const now = opts.now ?? Date.now();
  const maxSkew = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(now - timestamp) > maxSkew) {
    throw new AuthenticationFailedError(
      `stale request: timestamp is more than ${maxSkew} ms from now`,
    );
  }
  const statement = requestStatement(opts, key, timestamp, requestId);
  if (!verifyStatement(key, PURPOSE, statement, signature)) {
    throw new AuthenticationFailedError('request signature does not verify');
  }
  // Only after the signature: an attacker must not be able to burn request ids.
  if (!(await opts.replayGuard.remember(requestId, timestamp + maxSkew))) {
    throw new ReplayedRequestError(requestId);
  }
  return { key, requestId, timestamp, hash: toHex(taggedJsonHash(PURPOSE, statement)) };
}

/** In-process replay guard; a signer that restarts should use a durable one (its database). */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();
  remember(requestId: string, expiresAtMs: number, now = Date.now()): boolean {
    for (const [id, expiry] of this.seen) if (expiry < now) this.seen.delete(id);
    if (this.seen.has(requestId)) return false;
    this.seen.set(requestId, expiresAtMs);
    return true;
  }
}

/** 0x-hex SHA-256 of a body (node's native hash: a 1 MB sign-batch body hashes in ~1 ms, not ~7). */
export function bodyHash(body: Uint8Array): string {
  return `0x${createHash('sha256').update(body).digest('hex')}`;
}

function requestStatement(r: RequestToSign, key: string, timestamp: number, requestId: string) {
  return {
    audience: r.audience,
    key,
    method: r.method.toUpperCase(),
    path: r.path,
    bodyHash: bodyHash(r.body),
    timestamp,
    requestId,
  };
}

function header(headers: VerifyRequestOpts['headers'], name: string): string {
  const value = headers[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new UnauthorizedError(`${name}: header required`);
  }
  return value;
}
