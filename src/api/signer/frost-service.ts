/**
 * FROST signing on the signer, with the nonce rules of invariant 2:
 *  - a nonce pair is stored (sealed) in the database BEFORE its commitment is returned;
 *  - a signature share is released only after the transaction that marks its nonce used (and
 *    erases it, and records the session, message and share, and binds the proposal) commits;
 *  - a repeated request for the same session, message and commitment list gets the recorded
 *    share again; anything else on a used nonce is refused.
 * A crash before that commit means no share left the process, so the nonce is still unused.
 */
import { openJson } from '../../custody/at-rest.ts';
import { taggedJsonHash } from '../../custody/canonical.ts';
import { runSign } from '../../custody/frost/sign.ts';
import type {
  WireNonceCommitment,
  WireNonces,
  WireSignatureShare,
} from '../../custody/frost/wire.ts';
import {
  ConflictError,
  type CustodyError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
} from '../../shared/errors.ts';
import type { RequestRecord } from './auth.ts';
import type { SignerContext } from './context.ts';
import { signerSqlOf } from './context.ts';
import { drawSealedNonce } from './nonce-pool.ts';
import {
  boundElsewhereError,
  decideAgainstBindings,
  messageHash,
  policyAuditEvent,
  reboundError,
} from './policy.ts';
import type { SettlementRef } from './settlement/ref.ts';
import type { CustodyRelease } from './signer-sql.ts';
import { type FrostKeyRecord, loadFrostKeyCached } from './vault.ts';

export interface CommitmentItem {
  nonceId: string;
  commitment: WireNonceCommitment;
}

/**
 * Committed nonces nobody used (an abandoned attempt, unused preprocessing) expire: erasing
 * them only removes sealed secrets, since a missing nonce can never sign (404). Used nonces
 * are kept: their records answer a repeated request and refuse a second message.
 */
export const UNUSED_NONCE_TTL_MS = 7 * 24 * 3600 * 1000;
/** The route's bound on `count` (a preprocessed batch), checked where the body is parsed. */
export const MAX_COMMITMENTS_PER_REQUEST = 1000;
const lastExpiry = new WeakMap<object, number>();

export async function expireUnusedNonces(ctx: SignerContext, now = Date.now()): Promise<number> {
  const { count } = await ctx.db.signerNonce.deleteMany({
    where: { status: 'fresh', createdAt: { lt: new Date(now - UNUSED_NONCE_TTL_MS) } },
  });
  if (count > 0) ctx.log.info({ count }, 'expired unused nonces');
  return count;
}

export async function createCommitments(
  ctx: SignerContext,
  keyId: string,
  count: number,
  record?: RequestRecord,
): Promise<CommitmentItem[]> {
  // Housekeeping, at most once a minute, off the signing path.
  if (Date.now() - (lastExpiry.get(ctx.db) ?? 0) > 60_000) {
    lastExpiry.set(ctx.db, Date.now());
    await expireUnusedNonces(ctx);
  }
  const key = await loadFrostKeyCached(ctx, keyId);
  // RFC 9591 §5.1 commit: drawn ahead of time when the signer has a pool (nonce-pool.ts).
  const drawn =
    ctx.noncePool?.take(key, count) ??
    Array.from({ length: count }, () => drawSealedNonce(ctx.kek, key));
  const createdAt = new Date();
  const rows = drawn.map((n) => ({
    id: n.id,
    keyId,
    commitment: JSON.stringify(n.commitment),
    sealedNonces: n.sealedNonces,
    createdAt,
  }));
  // Durable before any commitment is returned; with the request id in the same transaction.
  await signerSqlOf(ctx).storeNonces(rows, record?.pending);
  record?.committed();
  ctx.crash('commit:after-store');
  return drawn.map((n) => ({ nonceId: n.id, commitment: n.commitment }));
}

export interface SignShareRequest {
  nonceId: string;
  sessionId: string;
  proposalId: string;
  message: Uint8Array;
  commitments: WireNonceCommitment[];
  /** The settlement `message` is a sighash of (the policy derives it from this). */
  settlement?: SettlementRef;
}

export type ShareResult = { signatureShare: WireSignatureShare } | { error: CustodyError };

interface Pending {
  index: number;
  req: SignShareRequest;
  nonceId: string;
  sealedNonces: string;
  listHash: string;
  share?: WireSignatureShare;
}

/**
 * Signs a batch of requests (one, for the single endpoint) with one policy audit entry and one
 * releasing transaction. Each item gets its own result: a share, or the error that refused it.
 */
export async function signShares(
  ctx: SignerContext,
  key: FrostKeyRecord,
  reqs: SignShareRequest[],
  record?: RequestRecord,
): Promise<ShareResult[]> {
  if (new Set(reqs.map((r) => r.nonceId)).size !== reqs.length) {
    throw new InvalidInputError('items: a nonce appears twice', { field: 'items' });
  }
  const sql = signerSqlOf(ctx);
  // Bindings are read for every request, including those the nonce checks below refuse.
  const { nonces: rows, proposals } = await sql.readNoncesAndProposals(
    reqs.map((r) => r.nonceId),
    reqs.map((r) => r.proposalId),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const results: ShareResult[] = new Array(reqs.length);
  const pending: Pending[] = [];
  reqs.forEach((req, index) => {
    const row = byId.get(req.nonceId);
    const listHash = commitmentsHash(req.commitments);
    if (!row || row.keyId !== key.keyId) {
      results[index] = { error: new NotFoundError(`no nonce ${req.nonceId} for key ${key.keyId}`) };
    } else if (row.status === 'used') {
      results[index] = replayOrRefuse(row, req, listHash);
    } else if (!ownCommitmentListed(row.commitment, req.commitments)) {
      results[index] = {
        error: new InvalidInputError('commitments: our entry is not the commitment of this nonce', {
          field: 'commitments',
        }),
      };
    } else {
      pending.push({
        index,
        req,
        nonceId: row.id,
        sealedNonces: row.sealedNonces as string,
        listHash,
      });
    }
  });
  if (pending.length === 0) return results;
  const policyReqs = pending.map((p) => ({
    ...p.req,
    keyId: key.keyId,
    scheme: 'frost' as const,
  }));
  const decisions = await decideAgainstBindings(ctx.policy, policyReqs, proposals);
  const custodyOf = new Map<Pending, CustodyRelease>();
  const allowed = pending.filter((p, i) => {
    const d = decisions[i]!;
    if (!d.allow) results[p.index] = { error: new ForbiddenError(`policy refused: ${d.reason}`) };
    else if (d.custody) custodyOf.set(p, d.custody);
    return d.allow;
  });
  ctx.crash('sign:after-policy');
  for (const p of allowed) {
    const nonces = openJson<WireNonces>(ctx.kek, `nonce:${p.nonceId}`, p.sealedNonces);
    // No own-share verifyShare here (it would cost the signer ~4 ms): a wrong share cannot
    // leak the key with fresh nonces, and the coordinator checks the aggregate as BIP340 and,
    // only if that fails, names the culprit (bench/signing-protocol.ts has both timings).
    p.share = runSign({
      groupKey: key.groupKey,
      share: key.share,
      nonces,
      commitments: p.req.commitments,
      message: p.req.message,
      verifyOwnShare: false,
    }).signatureShare;
  }
  ctx.crash('sign:after-share');
  // One transaction binds the proposals, marks the nonces used with their shares and records
  // the decisions with their outcomes in the audit log: a share leaves only after all of it is
  // durable, and a crash before the commit leaves no trace but an unused nonce.
  const outcomes = await sql.release({
    record: record?.pending,
    audit: (released) => policyAuditEvent(ctx.name, policyReqs, decisions, released),
    items: allowed.map((p) => ({
      proposalId: p.req.proposalId,
      keyId: key.keyId,
      messageHash: messageHash(p.req.message),
      ...(custodyOf.has(p) ? { custody: custodyOf.get(p) as CustodyRelease } : {}),
      nonce: {
        nonceId: p.nonceId,
        sessionId: p.req.sessionId,
        commitmentsHash: p.listHash,
        share: JSON.stringify(p.share),
      },
    })),
  });
  record?.committed();
  for (const [i, p] of allowed.entries()) {
    const outcome = outcomes[i];
    if (outcome === 'released') results[p.index] = { signatureShare: p.share! };
    else if (outcome === 'unbound')
      results[p.index] = { error: boundElsewhereError(p.req.proposalId) };
    else if (outcome === 'rebound') results[p.index] = { error: reboundError(p.req.proposalId) };
    else {
      // Another request used this nonce between our read and our write: answer as for a replay.
      const [now] = await sql.readNonces([p.nonceId]);
      if (!now) throw new Error(`nonce ${p.nonceId} vanished`);
      results[p.index] = replayOrRefuse(now, p.req, p.listHash);
    }
  }
  ctx.crash('sign:after-commit');
  ctx.noncePool?.refillSoon();
  return results;
}

function ownCommitmentListed(stored: string, list: WireNonceCommitment[]): boolean {
  const own = JSON.parse(stored) as WireNonceCommitment;
  const listed = list.find((c) => c.identifier === own.identifier);
  return listed !== undefined && listed.hiding === own.hiding && listed.binding === own.binding;
}

function replayOrRefuse(
  row: {
    sessionId: string | null;
    messageHash: string | null;
    commitmentsHash: string | null;
    share: string | null;
    id: string;
  },
  req: SignShareRequest,
  listHash: string,
): ShareResult {
  const same =
    row.sessionId === req.sessionId &&
    row.messageHash === messageHash(req.message) &&
    row.commitmentsHash === listHash;
  if (!same || row.share === null) {
    return {
      error: new ConflictError(
        `nonce ${row.id} was already used for another signing session or message`,
        {
          nonceId: row.id,
        },
      ),
    };
  }
  return { signatureShare: JSON.parse(row.share) as WireSignatureShare };
}

function commitmentsHash(list: WireNonceCommitment[]): string {
  const sorted = [...list]
    .sort((a, b) => (a.identifier < b.identifier ? -1 : 1))
    .map((c) => ({ ...c }));
  return `0x${Buffer.from(taggedJsonHash('commitment-list', sorted)).toString('hex')}`;
}
