/**
 * The coordinator's FROST session against in-process signers that run the real protocol
 * (src/custody round functions) behind the same client interface the HTTP client implements.
 * The process-level tests (real signer processes over HTTP) live with the signer service.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import type {
  FrostCommitRequest,
  FrostSignerClient,
  FrostSignRequest,
} from '../../../../src/api/coordinator/signing/clients.ts';
import {
  runFrostSession,
  SigningFailedError,
} from '../../../../src/api/coordinator/signing/frost-session.ts';
import { runCommit } from '../../../../src/custody/frost/commit.ts';
import { runSign } from '../../../../src/custody/frost/sign.ts';
import {
  outputKeyXOnly,
  type WireGroupKey,
  type WireKeyShare,
  type WireNonces,
} from '../../../../src/custody/frost/wire.ts';
import { verifyAuditLog } from '../../../../src/store/audit-log.ts';
import { runFullDkg } from '../../../custody/helpers.ts';
import { DATABASE_KINDS, useFreshStore } from '../../../support/databases.ts';

type Behaviour =
  | 'honest'
  | 'bad-share'
  | 'silent'
  | 'silent-round2'
  | 'mislabelled-share'
  | 'out-of-range-share';

/** A signer that follows the protocol (one nonce per session id, used once), unless told not to. */
class InProcessSigner implements FrostSignerClient {
  readonly nonces = new Map<string, WireNonces>();
  /** The attempt ids it was asked to commit for, and to sign for, in order. */
  readonly committedFor: string[] = [];
  readonly signedFor: string[] = [];
  /** Why each of its requests that never answered was given up (TimeoutError, AbortError). */
  readonly abandoned: string[] = [];
  constructor(
    readonly signerId: string,
    readonly share: WireKeyShare,
    readonly groupKey: WireGroupKey,
    public behaviour: Behaviour = 'honest',
    /** Whose identifier a mislabelled share carries. */
    readonly otherIdentifier = '',
  ) {}
  get identifier() {
    return this.share.identifier;
  }
  async commit(req: FrostCommitRequest, signal: AbortSignal) {
    this.committedFor.push(req.sessionId);
    if (this.behaviour === 'silent') return this.never(signal);
    if (this.nonces.has(req.sessionId)) throw new Error('session already committed');
    const { nonces, commitment } = runCommit({ share: this.share });
    this.nonces.set(req.sessionId, nonces);
    return commitment;
  }
  async sign(req: FrostSignRequest, signal: AbortSignal) {
    this.signedFor.push(req.sessionId);
    if (this.behaviour === 'silent-round2') return this.never(signal);
    const nonces = this.nonces.get(req.sessionId);
    if (!nonces) throw new Error('unknown session');
    this.nonces.delete(req.sessionId);
    const { signatureShare } = runSign({
      groupKey: this.groupKey,
      share: this.share,
      nonces,
      commitments: req.commitments,
      message: Buffer.from(req.message.slice(2), 'hex'),
    });
    switch (this.behaviour) {
      case 'bad-share': {
        // A share for a different message: well-formed, wrong.
        const last = signatureShare.share.slice(-2) === '00' ? '01' : '00';
        return { ...signatureShare, share: signatureShare.share.slice(0, -2) + last };
      }
      case 'mislabelled-share':
        return { ...signatureShare, identifier: this.otherIdentifier };
      case 'out-of-range-share':
        return { ...signatureShare, share: `0x${'ff'.repeat(32)}` };
      default:
        return signatureShare;
    }
  }
  private never(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) =>
      signal.addEventListener('abort', () => {
        this.abandoned.push((signal.reason as Error).name);
        reject(signal.reason);
      }),
    );
  }
}

const message = new Uint8Array(32).fill(7);

describe.each(DATABASE_KINDS)('FROST signing session on %s', (kind) => {
  const ctx = useFreshStore(kind);
  const dkg = runFullDkg(3, 5);
  const groupKey = dkg.results[0]!.groupKey;
  const makeSigners = (behaviours: Behaviour[] = []) =>
    dkg.results.map(
      (r, i) =>
        new InProcessSigner(
          `signer-${i}`,
          r.share,
          groupKey,
          behaviours[i] ?? 'honest',
          dkg.results[(i + 1) % dkg.results.length]!.share.identifier,
        ),
    );
  const run = (
    signers: InProcessSigner[],
    extra: { roundTimeoutMs?: number; groupKey?: WireGroupKey } = {},
  ) =>
    runFrostSession({
      db: ctx.store.db,
      signers,
      groupKey: extra.groupKey ?? groupKey,
      keyId: 'key-1',
      proposalId: 'proposal-1',
      message,
      roundTimeoutMs: extra.roundTimeoutMs ?? 2000,
    });
  const sessionRow = (id: string) =>
    ctx.store.db.signingSession.findUniqueOrThrow({ where: { id } });
  const auditOf = (id: string) => ctx.store.db.auditEntry.findMany({ where: { subject: id } });
  const failureOf = async (promise: Promise<unknown>) => {
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningFailedError);
    return (error as SigningFailedError).toProblem();
  };
  const verifies = (signature: string) =>
    schnorr.verify(
      Buffer.from(signature.slice(2), 'hex'),
      message,
      Buffer.from(outputKeyXOnly(groupKey).slice(2), 'hex'),
    );

  it('signs with any t of n and the signature verifies as BIP340 under the Taproot key', async () => {
    const result = await run(makeSigners());
    expect(result.participants).toHaveLength(3);
    expect(result.attempts).toBe(1);
    const ok = schnorr.verify(
      Buffer.from(result.signature.slice(2), 'hex'),
      message,
      Buffer.from(outputKeyXOnly(groupKey).slice(2), 'hex'),
    );
    expect(ok).toBe(true);
    const row = await ctx.store.db.signingSession.findUniqueOrThrow({
      where: { id: result.sessionId },
    });
    expect(row).toMatchObject({ status: 'signed', signature: result.signature, scheme: 'frost' });
    expect(row).toMatchObject({ attempt: 1, settlementId: null, culprits: '[]' });
    expect(JSON.parse(row.participants)).toHaveLength(3);
    expect(Math.abs(row.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(row.createdAt.getTime());
    const entries = await ctx.store.db.auditEntry.findMany({
      where: { subject: result.sessionId },
    });
    expect(entries.map((e) => e.action)).toContain('signing.signed');
  });

  it('names a malicious signer that sends a bad share, records it, and retries without it', async () => {
    const signers = makeSigners(['bad-share']);
    const result = await run(signers);
    expect(result.culprits).toEqual(['signer-0']);
    expect(result.participants).not.toContain('signer-0');
    // The first three to commit (signer-0 among them) signed attempt 1; attempt 2 went without it.
    expect(result.attempts).toBe(2);
    expect(signers[0]!.committedFor).toEqual([`${result.sessionId}.1`]);
    expect((await sessionRow(result.sessionId)).attempt).toBe(2);
    expect(verifies(result.signature)).toBe(true);
    const bad = (await auditOf(result.sessionId)).find((e) => e.action === 'signing.bad-share');
    expect(bad && JSON.parse(bad.data)).toMatchObject({ attempt: 1, culprits: ['signer-0'] });
    expect((await verifyAuditLog(ctx.store.db)).ok).toBe(true);
  });

  it('a signer silent in round 1 is not waited for when t others answer', async () => {
    const signers = makeSigners(['silent']);
    const result = await run(signers, { roundTimeoutMs: 60_000 });
    expect(result.attempts).toBe(1);
    expect(result.participants).not.toContain('signer-0');
    expect(signers[0]!.signedFor).toEqual([]);
    // Given up once enough answers came, not by the (one minute) round deadline.
    expect(signers[0]!.abandoned).toEqual(['AbortError']);
  });

  it('round-1 time-out: with only t signers and one silent, the round is waited out, the silent one named unresponsive, and the session fails', async () => {
    const signers = makeSigners(['silent']).slice(0, 3);
    const problem = await failureOf(run(signers, { roundTimeoutMs: 300 }));
    expect(signers[0]!.abandoned).toEqual(['TimeoutError']);
    expect(problem.unresponsive).toEqual(['signer-0']);
    const row = await sessionRow(problem.sessionId as string);
    expect(row).toMatchObject({ status: 'failed', signature: null });
    expect(row.reason).toMatch(/fewer than 3 eligible signers remain/);
    const failed = (await auditOf(row.id)).find((e) => e.action === 'signing.failed');
    expect(failed && JSON.parse(failed.data).unresponsive).toEqual(['signer-0']);
  });

  it('round-2 time-out: a chosen signer silent in round 2 is waited out, and the retry with fresh nonces signs without it', async () => {
    const signers = makeSigners(['silent-round2']);
    const result = await run(signers, { roundTimeoutMs: 300 });
    expect(signers[0]!.abandoned).toEqual(['TimeoutError']);
    expect(result.attempts).toBe(2);
    expect(result.participants).not.toContain('signer-0');
    expect(verifies(result.signature)).toBe(true);
    const [first, second] = [`${result.sessionId}.1`, `${result.sessionId}.2`];
    expect(signers[0]!.committedFor).toEqual([first]);
    // The partners of attempt 1 committed again for attempt 2: a fresh nonce, not the old one.
    const again = signers.filter((s) => s.committedFor.length === 2);
    expect(again.length).toBeGreaterThan(0);
    for (const s of again) expect(s.committedFor).toEqual([first, second]);
    expect((await sessionRow(result.sessionId)).attempt).toBe(2);
  });

  it('fails, naming the culprits, when fewer than t honest signers remain', async () => {
    const signers = makeSigners(['bad-share', 'bad-share', 'bad-share']);
    const problem = await failureOf(run(signers));
    expect(problem.culprits).toEqual(expect.arrayContaining(['signer-0', 'signer-1', 'signer-2']));
    const row = await sessionRow(problem.sessionId as string);
    expect(row.status).toBe('failed');
    expect(row.reason).toMatch(/eligible signers remain/);
    expect(JSON.parse(row.culprits ?? '[]')).toEqual(problem.culprits);
    expect(row.signature).toBeNull();
  });

  it('never asks a signer to commit twice for the same attempt id (nonce per attempt)', async () => {
    const signers = makeSigners(['silent-round2']);
    const result = await run(signers, { roundTimeoutMs: 300 });
    expect(result.attempts).toBe(2);
    for (const s of signers) {
      expect(new Set(s.committedFor).size, s.signerId).toBe(s.committedFor.length);
    }
  });

  it("mislabelled share: a share under another signer's identifier blames its sender, and the retry without it signs", async () => {
    const signers = makeSigners(['mislabelled-share']);
    const result = await run(signers);
    expect(result.culprits).toEqual(['signer-0']);
    expect(result.attempts).toBe(2);
    expect(result.participants).not.toContain('signer-0');
    expect(verifies(result.signature)).toBe(true);
    const bad = (await auditOf(result.sessionId)).find((e) => e.action === 'signing.bad-share');
    expect(bad && JSON.parse(bad.data)).toMatchObject({
      culprits: ['signer-0'],
      identifiers: [signers[1]!.identifier],
    });
  });

  it('out-of-range share: a share at or above the group order blames its sender, and the retry signs', async () => {
    const result = await run(makeSigners(['out-of-range-share']));
    expect(result.culprits).toEqual(['signer-0']);
    expect(result.attempts).toBe(2);
    expect(verifies(result.signature)).toBe(true);
  });

  it('aggregation error without a culprit (a corrupt group key record) ends the session failed, with its record', async () => {
    const corrupt = {
      ...groupKey,
      commitments: [`0x02${'ff'.repeat(32)}`, ...groupKey.commitments.slice(1)],
    };
    const problem = await failureOf(run(makeSigners(), { groupKey: corrupt }));
    const row = await sessionRow(problem.sessionId as string);
    expect(row).toMatchObject({ status: 'failed', signature: null, culprits: '[]' });
    expect(row.reason).toMatch(/^aggregation failed/);
    const failed = (await auditOf(row.id)).find((e) => e.action === 'signing.failed');
    expect(failed).toBeDefined();
  });
});
