/**
 * Invariant 2 under crashes: a real signer process is killed (SIGKILL, no clean-up) at each
 * step of a signing round, restarted, and the round is retried, also with a different message.
 * Across everything the coordinator ever received, and in the signer's database, no nonce is
 * used for two different messages. The crashed signer runs on SQLite (its own connection's
 * hot path) and, in a second run, on PostgreSQL (the Prisma SignerSql).
 */
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_POINTS, type CrashPoint } from '../../../src/api/signer/config.ts';
import {
  type Member,
  type NonceRef,
  relayDkg,
  requestCommitments,
} from '../../../src/api/signer/driver.ts';
import { messageHash } from '../../../src/api/signer/policy.ts';
import { runAggregate } from '../../../src/custody/frost/aggregate.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import {
  parseSignatureShare,
  type WireGroupKey,
  type WireSignatureShare,
} from '../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { verifyAuditLog } from '../../../src/store/audit-log.ts';
import { openStore } from '../../../src/store/store.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../../support/databases.ts';
import {
  makeSignerHome,
  removeHome,
  type SignerHome,
  type SignerProcess,
  startSignerProcess,
  writeSignerConfig,
} from './harness.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

describe.each(DATABASE_KINDS)('crashed signer on %s', (kind) => {
  const coordinator = generateIdentity();
  const homes: SignerHome[] = [];
  const running: SignerProcess[] = [];
  let groupKey: WireGroupKey;
  let outputKey: string;
  const keyId = 'frost-faults';
  /** nonceId → message hashes of every share the coordinator ever received for it. */
  const observed = new Map<string, Set<string>>();
  /** The crashed signer's database: its SQLite file, or a PostgreSQL database of its own. */
  let victimDb: TestDatabase | undefined;
  let victimUrl = '';
  const victimConfig = (): Record<string, unknown> =>
    victimDb ? { databaseUrl: victimDb.url } : {};

  beforeAll(async () => {
    if (kind === 'postgresql') victimDb = await createTestDatabase('postgresql');
    for (let i = 0; i < 3; i++) {
      const extra = i === 0 ? victimConfig() : {};
      homes.push(makeSignerHome(`f${i + 1}`, coordinator.publicKey, extra));
    }
    victimUrl = victimDb?.url ?? `file:${path.join(homes[0]!.dir, 'signer.db')}`;
    running.push(...(await Promise.all(homes.map((h) => startSignerProcess(h, coordinator)))));
    const ceremony = parseCeremony({
      ceremonyId: keyId,
      suite: 'secp256k1-tr',
      threshold: { min: 2, max: 3 },
      participants: running.map((s) => ({ identifier: s.identifier, identityKey: s.identityKey })),
    });
    ({ groupKey, outputKey } = await relayDkg(members(), ceremony));
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    for (const h of homes) removeHome(h);
    await victimDb?.drop();
  });

  function members(): Member[] {
    return running.map((s) => ({ client: s.client, identifier: s.identifier }));
  }

  async function restartVictim(crashAt?: CrashPoint): Promise<void> {
    await running[0]!.stop();
    writeSignerConfig(homes[0]!, coordinator.publicKey, {
      ...victimConfig(),
      ...(crashAt ? { crashAt } : {}),
    });
    running[0] = await startSignerProcess(homes[0]!, coordinator);
  }

  /** A share from signer `who` (0: the one being crashed, 1: its healthy partner). */
  async function shareFrom(
    who: 0 | 1,
    nonce: NonceRef,
    commitments: NonceRef[],
    message: Uint8Array,
    session: string,
  ) {
    const r = await running[who]!.client.post<{ signatureShare: unknown }>('/v1/frost/sign', {
      keyId,
      nonceId: nonce.nonceId,
      sessionId: session,
      proposalId: session,
      message: hex(message),
      commitments: commitments.map((c) => c.commitment),
    });
    return parseSignatureShare(r.signatureShare);
  }

  /** A share from the crashed signer, remembering which messages each nonce signed. */
  async function askShare(
    nonce: NonceRef,
    commitments: NonceRef[],
    message: Uint8Array,
    session: string,
  ) {
    const parsed = await shareFrom(0, nonce, commitments, message, session);
    const seen = observed.get(nonce.nonceId) ?? new Set<string>();
    seen.add(messageHash(message));
    observed.set(nonce.nonceId, seen);
    return parsed;
  }

  const helperShare = (
    nonce: NonceRef,
    commitments: NonceRef[],
    message: Uint8Array,
    session: string,
  ) => shareFrom(1, nonce, commitments, message, session);

  function aggregateOk(
    nonces: NonceRef[],
    message: Uint8Array,
    shares: WireSignatureShare[],
  ): boolean {
    const { signature } = runAggregate({
      groupKey,
      commitments: nonces.map((n) => n.commitment),
      message,
      shares,
    });
    return schnorr.verify(bytes(signature), message, bytes(outputKey));
  }

  describe('crash at every step of a signing round: no nonce reuse', () => {
    it('commit:after-store: the stored nonce whose commitment never left is never used', async () => {
      await restartVictim('commit:after-store');
      await expect(requestCommitments(members()[0]!, keyId, 1)).rejects.toThrow();
      expect(await running[0]!.exited).not.toBe(0);
      await restartVictim();
      const nonces = [
        (await requestCommitments(members()[0]!, keyId, 1))[0]!,
        (await requestCommitments(members()[1]!, keyId, 1))[0]!,
      ];
      const message = crypto.getRandomValues(new Uint8Array(32));
      const shares = [
        await askShare(nonces[0]!, nonces, message, 's-commit'),
        await helperShare(nonces[1]!, nonces, message, 's-commit'),
      ];
      expect(aggregateOk(nonces, message, shares)).toBe(true);
    });

    for (const point of CRASH_POINTS.filter((p) => p.startsWith('sign:'))) {
      it(`${point}: after restart the round completes once, and a second message on that nonce is refused`, async () => {
        await restartVictim(point);
        const nonces = [
          (await requestCommitments(members()[0]!, keyId, 1))[0]!,
          (await requestCommitments(members()[1]!, keyId, 1))[0]!,
        ];
        const m1 = crypto.getRandomValues(new Uint8Array(32));
        const m2 = crypto.getRandomValues(new Uint8Array(32));
        const s1 = `s1-${point.replace(':', '-')}`;
        const s2 = `s2-${point.replace(':', '-')}`;
        await expect(askShare(nonces[0]!, nonces, m1, s1)).rejects.toThrow();
        expect(await running[0]!.exited).not.toBe(0);
        await restartVictim();
        if (point === 'sign:after-commit') {
          // The share was recorded: the same session gets the same share; another message is refused.
          const again = await askShare(nonces[0]!, nonces, m1, s1);
          expect(
            aggregateOk(nonces, m1, [again, await helperShare(nonces[1]!, nonces, m1, s1)]),
          ).toBe(true);
          await expect(askShare(nonces[0]!, nonces, m2, s2)).rejects.toMatchObject({ status: 409 });
          expect(await askShare(nonces[0]!, nonces, m1, s1)).toEqual(again);
        } else {
          // No share left before the crash, so the nonce is still unused: one message may use it,
          // and from then on only that one. Here the coordinator moves on to m2 first.
          const share = await askShare(nonces[0]!, nonces, m2, s2);
          expect(
            aggregateOk(nonces, m2, [share, await helperShare(nonces[1]!, nonces, m2, s2)]),
          ).toBe(true);
          await expect(askShare(nonces[0]!, nonces, m1, s1)).rejects.toMatchObject({ status: 409 });
        }
      });
    }

    it('no nonce was ever released for two messages, by what the coordinator saw and by the signer database', async () => {
      for (const [nonceId, hashes] of observed) expect(hashes.size, nonceId).toBe(1);
      const store = await openStore({ databaseUrl: victimUrl });
      try {
        const used = await store.db.signerNonce.findMany({ where: { status: 'used' } });
        expect(used.length).toBeGreaterThanOrEqual(4);
        for (const row of used) {
          expect(row.sealedNonces).toBeNull();
          const seen = observed.get(row.id);
          if (seen) expect([...seen]).toEqual([row.messageHash]);
        }
        const fresh = await store.db.signerNonce.findMany({ where: { status: 'fresh' } });
        for (const row of fresh) expect(observed.has(row.id)).toBe(false);
        // The audit chain survived every crash, and each used nonce's proposal has its decision.
        expect(await verifyAuditLog(store.db)).toMatchObject({ ok: true });
        const decided = await store.db.auditEntry.findMany({ where: { action: 'policy.decide' } });
        const allowed = new Set(
          decided.flatMap((e) =>
            (JSON.parse(e.data).decisions as { proposalId: string; allow: boolean }[])
              .filter((d) => d.allow)
              .map((d) => d.proposalId),
          ),
        );
        for (const row of used) expect(allowed.has(row.proposalId!), row.id).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
});
