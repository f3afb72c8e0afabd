/**
 * Concurrent releases on both databases (SQLite through the signer's own connection, as a
 * SQLite signer runs; PostgreSQL through the Prisma SignerSql): two requests that both read a
 * fresh nonce, or an unbound proposal, race to release. A policy that waits until both have
 * arrived makes the race certain: both have read before either writes. Exactly one share
 * leaves, and the audit log records what each request came to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignerContext } from '../../../src/api/signer/context.ts';
import {
  createCommitments,
  type ShareResult,
  signShares,
} from '../../../src/api/signer/frost-service.ts';
import type { PolicyVerifier } from '../../../src/api/signer/policy.ts';
import {
  openSqliteSignerSql,
  type SqliteSignerSql,
} from '../../../src/api/signer/signer-sqlite.ts';
import { type FrostKeyRecord, loadFrostKey } from '../../../src/api/signer/vault.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import type { WireNonceCommitment } from '../../../src/custody/frost/wire.ts';
import { verifyAuditLog } from '../../../src/store/audit-log.ts';
import { runFullDkg } from '../../custody/helpers.ts';
import { DATABASE_KINDS, useFreshStore } from '../../support/databases.ts';
import { signerWithKey } from './in-process.ts';

/** Allows every request, but only once `count` requests have reached it. */
function meetingPolicy(count: number): PolicyVerifier {
  let arrived = 0;
  let open!: () => void;
  const met = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived >= count) open();
    await met;
    return { allow: true };
  };
}

describe.each(DATABASE_KINDS)('concurrent releases on %s', (kind) => {
  const db = useFreshStore(kind);
  const dkg = runFullDkg(2, 3);
  const keyId = 'k-race';
  let sql: SqliteSignerSql | undefined;
  let base: SignerContext;
  let key: FrostKeyRecord;

  beforeAll(async () => {
    if (db.store.target.provider === 'sqlite') sql = openSqliteSignerSql(db.store.target.file);
    base = await signerWithKey(db.store.db, dkg, keyId, sql);
    key = await loadFrostKey(base.db, base.kek, keyId);
  });
  afterAll(() => sql?.close());

  const request = (
    nonce: { nonceId: string; commitment: WireNonceCommitment },
    fill: number,
    proposalId: string,
  ) => ({
    nonceId: nonce.nonceId,
    sessionId: `session-${proposalId}-${fill}`,
    proposalId,
    message: new Uint8Array(32).fill(fill),
    commitments: [nonce.commitment, runCommit({ share: dkg.results[1]!.share }).commitment].sort(
      (a, b) => (a.identifier < b.identifier ? -1 : 1),
    ),
  });
  const race = (reqs: ReturnType<typeof request>[]): Promise<ShareResult[]> => {
    const ctx = { ...base, policy: meetingPolicy(reqs.length) };
    return Promise.all(reqs.map(async (r) => (await signShares(ctx, key, [r]))[0]!));
  };
  const decisionsFor = async (proposalIds: string[]) =>
    (await base.db.auditEntry.findMany({ where: { action: 'policy.decide' } }))
      .flatMap((e) => JSON.parse(e.data).decisions as Record<string, unknown>[])
      .filter((d) => proposalIds.includes(d.proposalId as string));

  it('concurrent releases of one nonce: one share leaves, the other finds the nonce lost, and the audit says lost, not allow', async () => {
    const [nonce] = await createCommitments(base, keyId, 1);
    const results = await race([request(nonce!, 1, 'lost-a'), request(nonce!, 2, 'lost-b')]);
    const winner = results.findIndex((r) => 'signatureShare' in r);
    expect(winner).not.toBe(-1);
    expect(results[1 - winner]).toMatchObject({ error: { status: 409 } });
    const [won, lost] = winner === 0 ? ['lost-a', 'lost-b'] : ['lost-b', 'lost-a'];
    expect(await decisionsFor([won])).toEqual([
      expect.objectContaining({ allow: true, outcome: 'released' }),
    ]);
    expect(await decisionsFor([lost])).toEqual([
      expect.objectContaining({
        allow: false,
        outcome: 'lost',
        reason: expect.stringMatching(/used by another request/),
      }),
    ]);
    const row = await base.db.signerNonce.findUniqueOrThrow({ where: { id: nonce!.nonceId } });
    expect(row).toMatchObject({ status: 'used', proposalId: won, sealedNonces: null });
    expect(await verifyAuditLog(base.db)).toMatchObject({ ok: true });
  });

  it('concurrent releases for one proposal with two messages: one binds it, the other is unbound and audited so, its nonce still unused', async () => {
    const nonces = await createCommitments(base, keyId, 2);
    const results = await race([
      request(nonces[0]!, 3, 'unbound-p'),
      request(nonces[1]!, 4, 'unbound-p'),
    ]);
    const winner = results.findIndex((r) => 'signatureShare' in r);
    expect(winner).not.toBe(-1);
    expect(results[1 - winner]).toMatchObject({ error: { status: 403 } });
    const decisions = await decisionsFor(['unbound-p']);
    expect(decisions).toHaveLength(2);
    expect(decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ allow: true, outcome: 'released' }),
        expect.objectContaining({ allow: false, outcome: 'unbound' }),
      ]),
    );
    const loser = nonces[1 - winner]!;
    const row = await base.db.signerNonce.findUniqueOrThrow({ where: { id: loser.nonceId } });
    expect(row).toMatchObject({ status: 'fresh', share: null });
    expect(await verifyAuditLog(base.db)).toMatchObject({ ok: true });
  });
});
