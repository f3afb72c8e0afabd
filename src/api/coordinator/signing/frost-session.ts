/**
 * The coordinator's side of a FROST signing session, persisted in SigningSession.
 *
 * Each attempt: ask every eligible signer for a nonce commitment and keep the first t that
 * answer (round 1); send those t the commitment list and the message (round 2); aggregate.
 * Aggregation sums the shares and verifies the result as one BIP340 signature, and only on
 * failure checks shares one by one (RFC 9591 §5.4), naming the culprits. A culprit is recorded
 * in the audit log and excluded, and the session retries with another subset; so does a signer
 * that committed but did not answer round 2. Nonces are never reused across attempts: each
 * attempt has its own session id at the signers.
 */
import { InvalidSignatureShareError } from '../../../custody/errors.ts';
import { runAggregate } from '../../../custody/frost/aggregate.ts';
import type { Hex, WireGroupKey, WireNonceCommitment } from '../../../custody/frost/wire.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import type { Db } from '../../../store/store.ts';
import type { FrostSignerClient } from './clients.ts';
import { firstAnswers } from './first-answers.ts';
import { SessionRecord } from './session-record.ts';

export { SigningFailedError } from './session-record.ts';

export interface RunFrostSessionOpts {
  db: Db;
  signers: readonly FrostSignerClient[];
  groupKey: WireGroupKey;
  keyId: string;
  /** The settlement proposal this message belongs to; signers bind one message per proposal. */
  proposalId: string;
  message: Uint8Array;
  settlementId?: string;
  roundTimeoutMs?: number;
  maxAttempts?: number;
}

export interface RunFrostSessionResult {
  sessionId: string;
  signature: Hex;
  /** Signer ids whose shares made the signature. */
  participants: string[];
  attempts: number;
  /** Signer ids that sent a bad share during the session. */
  culprits: string[];
}

export async function runFrostSession(opts: RunFrostSessionOpts): Promise<RunFrostSessionResult> {
  const { groupKey } = opts;
  const t = groupKey.threshold.min;
  const timeoutMs = opts.roundTimeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? opts.signers.length - t + 2;
  const message = bytesToHex(opts.message);
  // The row's insert overlaps round 1 (nonce commitments only); it is awaited before round 2.
  const session = SessionRecord.begin(opts.db, {
    scheme: 'frost',
    message,
    settlementId: opts.settlementId,
  });

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const eligible = session.eligible(opts.signers);
    if (eligible.length < t) return session.fail(`fewer than ${t} eligible signers remain`);
    const attemptId = `${session.id}.${attempt}`;
    const round1 = await firstAnswers(eligible, t, timeoutMs, (s, signal) =>
      s.commit({ sessionId: attemptId, keyId: opts.keyId }, signal),
    );
    if (round1.answers.length < t) {
      for (const f of round1.failures) session.unresponsive.add(f.key.signerId);
      continue;
    }
    const chosen = round1.answers.map((a) => a.key);
    const commitments: WireNonceCommitment[] = round1.answers
      .map((a) => a.value)
      .sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
    await session.persisted();
    const request = { sessionId: attemptId, keyId: opts.keyId, proposalId: opts.proposalId };
    // Recording who was chosen does not gate the signers: the update runs beside round 2.
    const [round2] = await Promise.all([
      firstAnswers(chosen, t, timeoutMs, (s, signal) =>
        s.sign({ ...request, message, commitments }, signal),
      ),
      session.round(
        'round2',
        attempt,
        chosen.map((s) => s.signerId),
      ),
    ]);
    if (round2.answers.length < t) {
      for (const f of round2.failures) session.unresponsive.add(f.key.signerId);
      continue;
    }
    try {
      const { signature } = runAggregate({
        groupKey,
        commitments,
        message: opts.message,
        shares: round2.answers.map((a) => a.value),
      });
      const participants = chosen.map((s) => s.signerId);
      await session.signed(signature, { proposalId: opts.proposalId, attempt, participants });
      return {
        sessionId: session.id,
        signature,
        participants,
        attempts: attempt,
        culprits: [...session.culprits],
      };
    } catch (error) {
      if (!(error instanceof InvalidSignatureShareError)) throw error;
      const named = chosen
        .filter((s) => error.culprits.includes(s.identifier))
        .map((s) => s.signerId);
      if (named.length === 0) return session.fail('aggregation failed without a single culprit');
      await session.blame(attempt, named, { identifiers: error.culprits });
    }
  }
  return session.fail(`no valid signature after ${maxAttempts} attempts`);
}
