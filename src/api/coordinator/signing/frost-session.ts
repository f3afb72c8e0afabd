/**
 * The coordinator's side of a FROST signing session, persisted in SigningSession.
 *
 * Each attempt: ask every eligible signer for a nonce commitment and keep the first t that
 * answer (round 1); send those t the commitment list and the message (round 2); aggregate.
 * Aggregation sums the shares and verifies the result as one BIP340 signature, and only on
 * failure checks shares one by one (RFC 9591 §5.4), naming the culprits. A culprit is recorded
 * in the audit log and excluded, and the session retries with another subset; so does a signer
 * that committed but did not answer round 2, and a signer whose commitment or share carries
 * another signer's identifier (a culprit too). Any other aggregation failure ends the session
 * as failed, with its record. Nonces are never reused across attempts: each attempt has its
 * own session id at the signers.
 */
import { InvalidSignatureShareError } from '../../../custody/errors.ts';
import { runAggregate } from '../../../custody/frost/aggregate.ts';
import type { Hex, WireGroupKey, WireNonceCommitment } from '../../../custody/frost/wire.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import type { Db } from '../../../store/store.ts';
import type { FrostSignerClient, SettlementRef } from './clients.ts';
import { type Answer, firstAnswers } from './first-answers.ts';
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
  /** The settlement the message is a sighash of (signers refuse a message without one). */
  settlement?: SettlementRef;
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
    signers: opts.signers.map((s) => s.signerId),
  });

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const eligible = session.eligible(opts.signers);
    if (eligible.length < t) return session.fail(`fewer than ${t} eligible signers remain`);
    const attemptId = `${session.id}.${attempt}`;
    const round1 = await askRound(session, attempt, eligible, t, timeoutMs, (s, signal) =>
      s.commit({ sessionId: attemptId, keyId: opts.keyId }, signal),
    );
    if (round1 === undefined) continue;
    const chosen = round1.map((a) => a.key);
    const commitments: WireNonceCommitment[] = round1
      .map((a) => a.value)
      .sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
    await session.persisted();
    const request = {
      sessionId: attemptId,
      keyId: opts.keyId,
      proposalId: opts.proposalId,
      ...(opts.settlement ? { settlement: opts.settlement } : {}),
    };
    // Recording who was chosen does not gate the signers: the update runs beside round 2.
    const [round2] = await Promise.all([
      askRound(session, attempt, chosen, t, timeoutMs, (s, signal) =>
        s.sign({ ...request, message, commitments }, signal),
      ),
      session.round(
        'round2',
        attempt,
        chosen.map((s) => s.signerId),
      ),
    ]);
    if (round2 === undefined) continue;
    const shares = round2.map((a) => a.value);
    const aggregated = await aggregateOrBlame(session, attempt, chosen, {
      groupKey,
      commitments,
      message: opts.message,
      shares,
    });
    if (aggregated === undefined) continue;
    const participants = chosen.map((s) => s.signerId);
    await session.signed(aggregated, { proposalId: opts.proposalId, attempt, participants });
    return {
      sessionId: session.id,
      signature: aggregated,
      participants,
      attempts: attempt,
      culprits: [...session.culprits],
    };
  }
  return session.fail(`no valid signature after ${maxAttempts} attempts`);
}

/** An answer (commitment or share) must carry its sender's identifier, not another signer's. */
function labelledBySender(signer: FrostSignerClient, answer: { identifier: Hex }): boolean {
  return answer.identifier === signer.identifier;
}

/**
 * One round: the first t answers labelled with their sender's identifier, or undefined when
 * fewer came (the silent and failing signers are then left out of later attempts). A signer
 * that answered under another identifier is a culprit, like one with a bad share.
 */
async function askRound<T extends { identifier: Hex }>(
  session: SessionRecord,
  attempt: number,
  signers: readonly FrostSignerClient[],
  t: number,
  timeoutMs: number,
  ask: (signer: FrostSignerClient, signal: AbortSignal) => Promise<T>,
): Promise<Answer<FrostSignerClient, T>[] | undefined> {
  const round = await firstAnswers(signers, t, timeoutMs, ask, labelledBySender);
  if (round.rejected.length > 0) {
    await session.blame(
      attempt,
      round.rejected.map((r) => r.key.signerId),
      {
        reason: 'answered under another identifier',
        identifiers: round.rejected.map((r) => r.value.identifier),
      },
    );
  }
  if (round.answers.length >= t) {
    // A signer that refused while t others answered: its reason still goes in the reports.
    for (const f of round.failures) session.note(f.key.signerId, f.reason);
    return round.answers;
  }
  for (const f of round.failures) session.leaveOut(f.key.signerId, f.reason);
  return undefined;
}

/**
 * The signature, or undefined after blaming the signers whose shares made aggregation fail (the
 * session retries without them). Any other failure ends the session through its failure path,
 * with its record and audit entry: it never escapes as an error that leaves the session open.
 */
async function aggregateOrBlame(
  session: SessionRecord,
  attempt: number,
  chosen: readonly FrostSignerClient[],
  input: Parameters<typeof runAggregate>[0],
): Promise<Hex | undefined> {
  try {
    return runAggregate(input).signature;
  } catch (error) {
    if (!(error instanceof InvalidSignatureShareError)) {
      return session.fail(`aggregation failed: ${(error as Error)?.message ?? String(error)}`);
    }
    const named = chosen
      .filter((s) => error.culprits.includes(s.identifier))
      .map((s) => s.signerId);
    if (named.length === 0) return session.fail('aggregation failed without a single culprit');
    await session.blame(attempt, named, { identifiers: error.culprits });
    return undefined;
  }
}
