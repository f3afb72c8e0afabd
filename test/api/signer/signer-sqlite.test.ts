/**
 * The SQLite signer's hot path on its own connection (signer-sqlite.ts): what it writes is what
 * the Prisma path writes (Prisma reads it back, the audit chain verifies with entries of both
 * connections interleaved), it refuses a recorded request id without writing anything, and it
 * waits for, rather than fails on or blocks, a Prisma transaction holding the write lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestRecord } from '../../../src/api/signer/auth.ts';
import type { SignerContext } from '../../../src/api/signer/context.ts';
import { createCommitments, signShares } from '../../../src/api/signer/frost-service.ts';
import { createMultisigKey, signMultisig } from '../../../src/api/signer/multisig-service.ts';
import { prismaSignerSql } from '../../../src/api/signer/signer-sql.ts';
import {
  openSqliteSignerSql,
  type SqliteSignerSql,
} from '../../../src/api/signer/signer-sqlite.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { ReplayedRequestError } from '../../../src/custody/errors.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { appendAudit, verifyAuditLog } from '../../../src/store/audit-log.ts';
import { runFullDkg } from '../../custody/helpers.ts';
import { useFreshStore } from '../../support/databases.ts';
import { signerWithKey } from './in-process.ts';

describe('SQLite signer hot path', () => {
  const db = useFreshStore('sqlite');
  const dkg = runFullDkg(2, 3);
  const keyId = 'k-hot';
  let sql: SqliteSignerSql;
  let ctx: SignerContext;

  beforeAll(async () => {
    if (db.store.target.provider !== 'sqlite') throw new Error('expected SQLite');
    sql = openSqliteSignerSql(db.store.target.file);
    ctx = await signerWithKey(db.store.db, dkg, keyId, sql);
  });
  afterAll(() => sql?.close());

  const other = () => runCommit({ share: dkg.results[1]!.share }).commitment;
  const request = (nonce: { nonceId: string; commitment: unknown }, n: number) => ({
    nonceId: nonce.nonceId,
    sessionId: `session-${n}`,
    proposalId: `proposal-${n}`,
    message: new Uint8Array(32).fill(n),
    commitments: [nonce.commitment as ReturnType<typeof other>, other()].sort((a, b) =>
      a.identifier < b.identifier ? -1 : 1,
    ),
  });

  it('syncs every commit (synchronous = FULL on its own connection)', () => {
    expect(sql.synchronousLevel()).toBeGreaterThanOrEqual(2);
  });

  it('writes rows Prisma reads back as its own, and the audit chain verifies', async () => {
    const before = new Date(Date.now() - 1000);
    const [a, b] = await createCommitments(ctx, keyId, 2);
    const stored = await ctx.db.signerNonce.findUnique({ where: { id: a!.nonceId } });
    expect(stored).toMatchObject({ keyId, status: 'fresh' });
    expect(stored!.createdAt.getTime()).toBeGreaterThan(before.getTime());
    expect(JSON.parse(stored!.commitment)).toEqual(a!.commitment);

    const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
    const req = request(a!, 1);
    await appendAudit(ctx.db, { actor: 'prisma', action: 'test.before' });
    const [signed] = await signShares(ctx, key, [req]);
    await appendAudit(ctx.db, { actor: 'prisma', action: 'test.after' });
    expect(signed).toHaveProperty('signatureShare');

    const used = await ctx.db.signerNonce.findUnique({ where: { id: a!.nonceId } });
    expect(used).toMatchObject({ status: 'used', sealedNonces: null, sessionId: 'session-1' });
    expect(used!.usedAt!.getTime()).toBeGreaterThan(before.getTime());
    expect(JSON.parse(used!.share!)).toEqual(
      (signed as { signatureShare: unknown }).signatureShare,
    );
    const bound = await ctx.db.signerProposal.findUnique({ where: { id: 'proposal-1' } });
    expect(bound).toMatchObject({ keyId });
    expect(bound!.createdAt.getTime()).toBeGreaterThan(before.getTime());

    // The same request again: the recorded share; another message on the nonce: refused.
    expect(await signShares(ctx, key, [req])).toEqual([signed]);
    const [again] = await signShares(ctx, key, [{ ...req, message: new Uint8Array(32).fill(9) }]);
    expect(again).toMatchObject({ error: { status: 409 } });
    // A proposal bound to message 1 refuses message 2 on a fresh nonce.
    const [elsewhere] = await signShares(ctx, key, [
      { ...request(b!, 2), proposalId: 'proposal-1' },
    ]);
    expect(elsewhere).toMatchObject({ error: { status: 403 } });

    const actions = (await ctx.db.auditEntry.findMany({ orderBy: { seq: 'asc' } })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(['test.before', 'policy.decide', 'test.after', 'policy.decide']);
    expect(await verifyAuditLog(ctx.db)).toMatchObject({ ok: true });
  });

  it('refuses a recorded request id and writes nothing with it', async () => {
    const expiresAt = new Date(Date.now() + 30_000);
    expect(await sql.rememberRequestId('req-hot-path-0001', expiresAt)).toBe(true);
    expect(await sql.rememberRequestId('req-hot-path-0001', expiresAt)).toBe(false);
    const row = await ctx.db.signerRequest.findUnique({ where: { id: 'req-hot-path-0001' } });
    expect(row!.expiresAt.getTime()).toBe(expiresAt.getTime());

    const count = await ctx.db.signerNonce.count();
    const nonce = {
      id: 'n_replayed',
      keyId,
      commitment: '{}',
      sealedNonces: 'x',
      createdAt: new Date(),
    };
    await expect(
      sql.storeNonces([nonce], { requestId: 'req-hot-path-0001', expiresAt }),
    ).rejects.toThrow(ReplayedRequestError);
    expect(await ctx.db.signerNonce.count()).toBe(count);

    const entries = await ctx.db.auditEntry.count();
    await expect(
      sql.release({
        record: { requestId: 'req-hot-path-0001', expiresAt },
        audit: () => ({ actor: 's', action: 'policy.decide' }),
        items: [],
      }),
    ).rejects.toThrow(ReplayedRequestError);
    expect(await ctx.db.auditEntry.count()).toBe(entries);
  });

  it.each([
    ['its own connection', '01'],
    ['the Prisma SignerSql (PostgreSQL signers)', '02'],
  ])('prunes request ids a minute past their expiry, after a commit: %s', async (_how, tag) => {
    if (db.store.target.provider !== 'sqlite') throw new Error('expected SQLite');
    const own = tag === '01' ? openSqliteSignerSql(db.store.target.file) : undefined;
    const signerSql = own ?? prismaSignerSql(ctx.db);
    try {
      const [expired, current] = [`req-prune-expired-${tag}`, `req-prune-current-${tag}`];
      expect(await signerSql.rememberRequestId(expired, new Date(Date.now() - 120_000))).toBe(true);
      expect(await signerSql.rememberRequestId(current, new Date(Date.now() + 30_000))).toBe(true);
      const deadline = Date.now() + 5_000;
      let left = [expired, current];
      while (left.length > 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        const rows = await ctx.db.signerRequest.findMany({
          where: { id: { in: [expired, current] } },
        });
        left = rows.map((r) => r.id);
      }
      expect(left).toEqual([current]);
    } finally {
      own?.close();
    }
  });

  it('multi-sig: one transaction records the request id, the decision and the binding', async () => {
    await createMultisigKey(ctx, 'ms-hot');
    const entries = await ctx.db.auditEntry.count();
    const record = (id: string) => new RequestRecord(sql, id, new Date(Date.now() + 30_000));
    const req = (fill: number) => ({
      keyId: 'ms-hot',
      proposalId: 'ms-proposal',
      scriptType: 'p2wsh' as const,
      sighash: new Uint8Array(32).fill(fill),
    });
    const first = record('req-ms-hot-0000001');
    const signed = await signMultisig(ctx, req(1), first);
    expect(signed.signature).toMatch(/^0x/);
    expect(first.pending).toBeUndefined();
    expect(await sql.rememberRequestId('req-ms-hot-0000001', new Date())).toBe(false);
    expect(await ctx.db.signerProposal.findUnique({ where: { id: 'ms-proposal' } })).toMatchObject({
      keyId: 'ms-hot',
    });
    // Another message for the bound proposal: refused, and the refusal is recorded too.
    const second = record('req-ms-hot-0000002');
    await expect(signMultisig(ctx, req(2), second)).rejects.toMatchObject({ status: 403 });
    expect(second.pending).toBeUndefined();
    const decided = await ctx.db.auditEntry.findMany({ where: { seq: { gt: entries } } });
    expect(decided.map((e) => JSON.parse(e.data).decisions[0].allow)).toEqual([true, false]);
    // A replayed request id: refused, nothing written.
    await expect(signMultisig(ctx, req(1), record('req-ms-hot-0000001'))).rejects.toThrow(
      ReplayedRequestError,
    );
    expect(await ctx.db.auditEntry.count()).toBe(entries + 2);
    expect(await verifyAuditLog(ctx.db)).toMatchObject({ ok: true });
  });

  it('waits for a Prisma transaction that holds the write lock, then commits', async () => {
    const [c] = await createCommitments(ctx, keyId, 1);
    const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
    let releaseLock!: () => void;
    const held = new Promise<void>((r) => {
      releaseLock = r;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => {
      locked = r;
    });
    const prismaTx = ctx.db.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE "AuditHead" SET "seq" = "seq" WHERE "id" = 1`;
      locked();
      await held;
    });
    await lockTaken;
    let done = false;
    const signing = signShares(ctx, key, [request(c!, 3)]).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false); // waiting, and the event loop still runs (this line did)
    releaseLock();
    await prismaTx;
    const [result] = await signing;
    expect(result).toHaveProperty('signatureShare');
    expect(await verifyAuditLog(ctx.db)).toMatchObject({ ok: true });
  });
});
