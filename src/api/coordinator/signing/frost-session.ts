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
import { CustodyError } from '../../../shared/errors.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Db } from '../../../store/store.ts';
import type { FrostSignerClient } from './clients.ts';
import { firstAnswers } from './first-answers.ts';

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

export class SigningFailedError extends CustodyError {
  constructor(sessionId: string, detail: string, extensions: Record<string, unknown>) {
    super('signing-failed', 503, 'Signing failed', `session ${sessionId}: ${detail}`, {
      sessionId,
      ...extensions,
    });
  }
}

const ACTOR = 'coordinator';

export async function runFrostSession(opts: RunFrostSessionOpts): Promise<RunFrostSessionResult> {
  const { db, groupKey } = opts;
  const t = groupKey.threshold.min;
  const timeoutMs = opts.roundTimeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? opts.signers.length - t + 2;
  const sessionId = newId(ID_PREFIXES.signingSession);
  const message = bytesToHex(opts.message);
  await db.signingSession.create({
    data: {
      id: sessionId,
      settlementId: opts.settlementId ?? null,
      scheme: 'frost',
      messageHash: message,
      status: 'round1',
      participants: '[]',
    },
  });
  const culprits = new Set<string>();
  const unresponsive = new Set<string>();
  const fail = async (detail: string): Promise<never> => {
    await db.signingSession.update({
      where: { id: sessionId },
      data: { status: 'failed', reason: detail, culprits: JSON.stringify([...culprits]) },
    });
    await appendAudit(db, {
      actor: ACTOR,
      action: 'signing.failed',
      subject: sessionId,
      data: { detail, culprits: [...culprits], unresponsive: [...unresponsive] },
    });
    throw new SigningFailedError(sessionId, detail, {
      culprits: [...culprits],
      unresponsive: [...unresponsive],
    });
  };

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const eligible = opts.signers.filter(
      (s) => !culprits.has(s.signerId) && !unresponsive.has(s.signerId),
    );
    if (eligible.length < t) {
      return fail(`fewer than ${t} eligible signers remain (${eligible.length})`);
    }
    const attemptId = `${sessionId}.${attempt}`;
    const round1 = await firstAnswers(eligible, t, timeoutMs, (s, signal) =>
      s.commit({ sessionId: attemptId, keyId: opts.keyId }, signal),
    );
    if (round1.answers.length < t) {
      for (const f of round1.failures) unresponsive.add(f.key.signerId);
      continue;
    }
    const chosen = round1.answers.map((a) => a.key);
    const commitments: WireNonceCommitment[] = round1.answers
      .map((a) => a.value)
      .sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
    await db.signingSession.update({
      where: { id: sessionId },
      data: {
        status: 'round2',
        attempt,
        participants: JSON.stringify(chosen.map((s) => s.signerId)),
      },
    });
    const round2 = await firstAnswers(chosen, t, timeoutMs, (s, signal) =>
      s.sign(
        {
          sessionId: attemptId,
          keyId: opts.keyId,
          proposalId: opts.proposalId,
          message,
          commitments,
        },
        signal,
      ),
    );
    if (round2.answers.length < t) {
      for (const f of round2.failures) unresponsive.add(f.key.signerId);
      continue;
    }
    try {
      const { signature } = runAggregate({
        groupKey,
        commitments,
        message: opts.message,
        shares: round2.answers.map((a) => a.value),
      });
      await db.signingSession.update({
        where: { id: sessionId },
        data: { status: 'signed', signature, culprits: JSON.stringify([...culprits]) },
      });
      await appendAudit(db, {
        actor: ACTOR,
        action: 'signing.signed',
        subject: sessionId,
        data: { proposalId: opts.proposalId, attempt, participants: chosen.map((s) => s.signerId) },
      });
      return {
        sessionId,
        signature,
        participants: chosen.map((s) => s.signerId),
        attempts: attempt,
        culprits: [...culprits],
      };
    } catch (error) {
      if (!(error instanceof InvalidSignatureShareError)) throw error;
      const named = chosen
        .filter((s) => error.culprits.includes(s.identifier))
        .map((s) => s.signerId);
      for (const id of named) culprits.add(id);
      await appendAudit(db, {
        actor: ACTOR,
        action: 'signing.bad-share',
        subject: sessionId,
        data: { attempt, culprits: named, identifiers: error.culprits },
      });
      if (named.length === 0) return fail('aggregation failed without a single culprit');
    }
  }
  return fail(`no valid signature after ${maxAttempts} attempts`);
}
