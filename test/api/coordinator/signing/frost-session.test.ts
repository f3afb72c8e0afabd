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

type Behaviour = 'honest' | 'bad-share' | 'silent' | 'silent-round2';

/** A signer that follows the protocol (one nonce per session id, used once), unless told not to. */
class InProcessSigner implements FrostSignerClient {
  readonly nonces = new Map<string, WireNonces>();
  commits = 0;
  constructor(
    readonly signerId: string,
    readonly share: WireKeyShare,
    readonly groupKey: WireGroupKey,
    public behaviour: Behaviour = 'honest',
  ) {}
  get identifier() {
    return this.share.identifier;
  }
  async commit(req: FrostCommitRequest, signal: AbortSignal) {
    if (this.behaviour === 'silent') return never(signal);
    if (this.nonces.has(req.sessionId)) throw new Error('session already committed');
    this.commits++;
    const { nonces, commitment } = runCommit({ share: this.share });
    this.nonces.set(req.sessionId, nonces);
    return commitment;
  }
  async sign(req: FrostSignRequest, signal: AbortSignal) {
    if (this.behaviour === 'silent-round2') return never(signal);
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
    if (this.behaviour === 'bad-share') {
      // A share for a different message: well-formed, wrong.
      const last = signatureShare.share.slice(-2) === '00' ? '01' : '00';
      return { ...signatureShare, share: signatureShare.share.slice(0, -2) + last };
    }
    return signatureShare;
  }
}

function never(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
}

const message = new Uint8Array(32).fill(7);

describe.each(DATABASE_KINDS)('FROST signing session on %s', (kind) => {
  const ctx = useFreshStore(kind);
  const dkg = runFullDkg(3, 5);
  const groupKey = dkg.results[0]!.groupKey;
  const makeSigners = (behaviours: Behaviour[] = []) =>
    dkg.results.map(
      (r, i) => new InProcessSigner(`signer-${i}`, r.share, groupKey, behaviours[i] ?? 'honest'),
    );
  const run = (signers: InProcessSigner[], extra: { roundTimeoutMs?: number } = {}) =>
    runFrostSession({
      db: ctx.store.db,
      signers,
      groupKey,
      keyId: 'key-1',
      proposalId: 'proposal-1',
      message,
      roundTimeoutMs: extra.roundTimeoutMs ?? 2000,
    });

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
    expect(result.attempts).toBeGreaterThanOrEqual(1);
    const audit = await ctx.store.db.auditEntry.findMany({ where: { subject: result.sessionId } });
    const bad = audit.find((e) => e.action === 'signing.bad-share');
    expect(bad && JSON.parse(bad.data).culprits).toEqual(['signer-0']);
    expect((await verifyAuditLog(ctx.store.db)).ok).toBe(true);
  });

  it('signs around a signer that never answers (round-1 time-out)', async () => {
    const result = await run(makeSigners(['silent']), { roundTimeoutMs: 500 });
    expect(result.participants).not.toContain('signer-0');
  });

  it('retries with fresh nonces when a chosen signer goes silent in round 2', async () => {
    const signers = makeSigners(['silent-round2']);
    // Make the silent signer answer round 1 first so that it is chosen.
    const result = await run(signers, { roundTimeoutMs: 500 });
    expect(result.participants).not.toContain('signer-0');
  });

  it('fails, naming the culprits, when fewer than t honest signers remain', async () => {
    const signers = makeSigners(['bad-share', 'bad-share', 'bad-share']);
    const error = await run(signers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningFailedError);
    const problem = (error as SigningFailedError).toProblem();
    expect(problem.culprits).toEqual(expect.arrayContaining(['signer-0', 'signer-1', 'signer-2']));
    const row = await ctx.store.db.signingSession.findFirstOrThrow({
      where: { id: problem.sessionId as string },
    });
    expect(row.status).toBe('failed');
    expect(row.reason).toMatch(/eligible signers remain/);
    expect(JSON.parse(row.culprits ?? '[]')).toEqual(problem.culprits);
    expect(row.signature).toBeNull();
  });

  it('never asks a signer to commit twice for the same attempt id (nonce per attempt)', async () => {
    const signers = makeSigners(['silent-round2']);
    await run(signers, { roundTimeoutMs: 300 });
    for (const s of signers) expect(s.commits).toBeLessThanOrEqual(2);
  });
});
