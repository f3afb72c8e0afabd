/**
 * The coordinator's side of an m-of-n multi-sig signing session: one round. Every eligible
 * signer is asked for a partial signature over the sighash; each answer is verified against
 * the public key recorded for that signer (ECDSA low-S DER for P2WSH, BIP340 for tapscript)
 * and the first m valid ones are kept. An invalid signature names its signer as a culprit in
 * the audit log; the session retries without culprits and silent signers while m may remain.
 */
import {
  verifyP2wshPartial,
  verifyTapscriptPartial,
} from '../../../custody/multisig/partial-sign.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import type { Db } from '../../../store/store.ts';
import type { MultisigSignerClient, SettlementRef } from './clients.ts';
import { firstAnswers } from './first-answers.ts';
import { SessionRecord } from './session-record.ts';

export interface RunMultisigSessionOpts {
  db: Db;
  scheme: 'multisig-p2wsh' | 'multisig-tapscript';
  signers: readonly MultisigSignerClient[];
  /** m: signatures needed. */
  threshold: number;
  keyId: string;
  proposalId: string;
  sighash: Uint8Array;
  /** The settlement the sighash is of (signers refuse a sighash without one). */
  settlement?: SettlementRef;
  settlementId?: string;
  roundTimeoutMs?: number;
  maxAttempts?: number;
}

export interface RunMultisigSessionResult {
  sessionId: string;
  /** signerId → signature (DER + sighash byte, or BIP340), m of them. */
  signatures: Record<string, string>;
  attempts: number;
  culprits: string[];
}

export async function runMultisigSession(
  opts: RunMultisigSessionOpts,
): Promise<RunMultisigSessionResult> {
  const m = opts.threshold;
  const sighash = bytesToHex(opts.sighash);
  const verify = opts.scheme === 'multisig-p2wsh' ? verifyP2wshPartial : verifyTapscriptPartial;
  const session = await SessionRecord.create(opts.db, {
    scheme: opts.scheme,
    message: sighash,
    settlementId: opts.settlementId,
    signers: opts.signers.map((s) => s.signerId),
  });
  const maxAttempts = opts.maxAttempts ?? 3;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const eligible = session.eligible(opts.signers);
    if (eligible.length < m) return session.fail(`fewer than ${m} eligible signers remain`);
    await session.round(
      'round1',
      attempt,
      eligible.map((s) => s.signerId),
    );
    const request = {
      sessionId: `${session.id}.${attempt}`,
      keyId: opts.keyId,
      proposalId: opts.proposalId,
      sighash,
      ...(opts.settlement ? { settlement: opts.settlement } : {}),
    };
    const round = await firstAnswers(
      eligible,
      m,
      opts.roundTimeoutMs ?? 10_000,
      (s, signal) => s.signPartial(request, signal),
      (s, signature) => verify(s.publicKey, opts.sighash, signature),
    );
    if (round.rejected.length > 0) {
      await session.blame(
        attempt,
        round.rejected.map((r) => r.key.signerId),
      );
    }
    if (round.answers.length >= m) {
      // A signer that refused while m others signed: its reason still goes in the reports.
      for (const f of round.failures) session.note(f.key.signerId, f.reason);
      const signatures = Object.fromEntries(round.answers.map((a) => [a.key.signerId, a.value]));
      await session.signed(JSON.stringify(signatures), {
        proposalId: opts.proposalId,
        attempt,
        participants: Object.keys(signatures),
      });
      return {
        sessionId: session.id,
        signatures,
        attempts: attempt,
        culprits: [...session.culprits],
      };
    }
    for (const f of round.failures) session.leaveOut(f.key.signerId, f.reason);
  }
  return session.fail(`fewer than ${m} valid signatures after ${maxAttempts} attempts`);
}
