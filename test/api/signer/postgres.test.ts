/**
 * A signer on PostgreSQL (production's database) instead of its default SQLite file: DKG,
 * FROST signing with the nonce rules, replay refusal and the proposal binding behave the same.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frostRound, relayDkg, requestCommitments } from '../../../src/api/signer/driver.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import { parseGroupKey } from '../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { verifyAuditLog } from '../../../src/store/audit-log.ts';
import { openStore } from '../../../src/store/store.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import {
  makeSignerHome,
  removeHome,
  type SignerHome,
  type SignerProcess,
  startSignerProcess,
  writeSignerConfig,
} from './harness.ts';

const coordinator = generateIdentity();
const homes: SignerHome[] = [];
const procs: SignerProcess[] = [];
const databases: TestDatabase[] = [];
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const db = await createTestDatabase('postgresql');
    databases.push(db);
    const home = makeSignerHome(`pg${i + 1}`, coordinator.publicKey);
    writeSignerConfig(home, coordinator.publicKey, { databaseUrl: db.url });
    homes.push(home);
  }
  homes.push(makeSignerHome('pg-sqlite', coordinator.publicKey));
  procs.push(...(await Promise.all(homes.map((h) => startSignerProcess(h, coordinator)))));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const h of homes) removeHome(h);
  for (const d of databases) await d.drop();
});

describe('signers on PostgreSQL', () => {
  it('DKG 2-of-3, signing, a reused nonce refused', async () => {
    const keyId = 'pg-key';
    const ceremony = parseCeremony({
      ceremonyId: keyId,
      suite: 'secp256k1-tr',
      threshold: { min: 2, max: 3 },
      participants: procs.map((p) => ({ identifier: p.identifier, identityKey: p.identityKey })),
    });
    const members = procs.map((p) => ({ client: p.client, identifier: p.identifier }));
    const { groupKey, outputKey } = await relayDkg(members, ceremony);
    const pair = members.slice(0, 2);
    const nonces = await Promise.all(
      pair.map(async (m) => (await requestCommitments(m, keyId, 1))[0]!),
    );
    const message = crypto.getRandomValues(new Uint8Array(32));
    const { signature } = await frostRound({
      members: pair,
      keyId,
      groupKey,
      message,
      sessionId: 's1',
      proposalId: 'p1',
      nonces,
    });
    expect(schnorr.verify(bytes(signature), message, bytes(outputKey))).toBe(true);
    await expect(
      frostRound({
        members: pair,
        keyId,
        groupKey,
        message: new Uint8Array(32).fill(5),
        sessionId: 's2',
        proposalId: 'p2',
        nonces,
      }),
    ).rejects.toThrow(/already used/);
  });

  it('each decision is in the audit log, written with the release, and the chain verifies', async () => {
    // Continues the first test: signers 1 and 2 (PostgreSQL) released one share each for p1.
    for (const d of databases) {
      const store = await openStore({ databaseUrl: d.url });
      try {
        expect(await verifyAuditLog(store.db)).toMatchObject({ ok: true });
        const decided = await store.db.auditEntry.findMany({ where: { action: 'policy.decide' } });
        const p1 = decided.filter((e) => e.subject === 'p1');
        expect(p1).toHaveLength(1);
        expect(JSON.parse(p1[0]!.data).decisions).toMatchObject([
          { proposalId: 'p1', keyId: 'pg-key', scheme: 'frost', allow: true },
        ]);
        const used = await store.db.signerNonce.findMany({ where: { status: 'used' } });
        expect(used.map((n) => n.proposalId)).toEqual(['p1']);
        expect(used[0]!.usedAt).toBeInstanceOf(Date);
        expect(used[0]!.sealedNonces).toBeNull();
        // Nonces stored by the signer read back with their creation time (expiry compares it).
        const fresh = await store.db.signerNonce.findMany({ where: { status: 'fresh' } });
        for (const n of fresh)
          expect(Math.abs(n.createdAt.getTime() - Date.now())).toBeLessThan(600_000);
        expect(await store.db.signerProposal.findUnique({ where: { id: 'p1' } })).toMatchObject({
          keyId: 'pg-key',
        });
      } finally {
        await store.close();
      }
    }
  });

  it('a proposal stays bound to its first message (read with the nonces, bound with the release)', async () => {
    const keyId = 'pg-key';
    const pair = procs.slice(0, 2).map((p) => ({ client: p.client, identifier: p.identifier }));
    const fresh = () =>
      Promise.all(pair.map(async (m) => (await requestCommitments(m, keyId, 1))[0]!));
    const groupKey = parseGroupKey(
      (await procs[0]!.client.get<{ publicInfo: unknown }>(`/v1/keys/${keyId}`)).publicInfo,
    );
    const round = async (message: Uint8Array, sessionId: string) =>
      frostRound({
        members: pair,
        keyId,
        groupKey,
        message,
        sessionId,
        proposalId: 'p-bind',
        nonces: await fresh(),
      });
    const message = crypto.getRandomValues(new Uint8Array(32));
    await round(message, 'b1');
    await expect(round(new Uint8Array(32).fill(9), 'b2')).rejects.toThrow(
      /bound to another message/,
    );
    await expect(round(message, 'b3')).resolves.toMatchObject({ signature: expect.any(String) });
  });

  it('readiness reports the PostgreSQL durability settings it checked at start-up', async () => {
    const res = await fetch(new URL('/readyz', procs[0]!.url));
    const body = (await res.json()) as { checks: Record<string, unknown> };
    expect(body.checks['durable-commits']).toEqual({
      ok: true,
      detail: 'fsync=on, synchronous_commit=on',
    });
  });
});
