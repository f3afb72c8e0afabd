/**
 * Custody protocol failures. Each is a CustodyError so the signer and coordinator apps map it to
 * problem+json without knowing the class; extensions carry the machine-readable culprits.
 */
import { CustodyError } from '../shared/errors.ts';

/** Aggregation failed and per-share verification named who sent a bad share (RFC 9591 §5.4). */
export class InvalidSignatureShareError extends CustodyError {
  readonly culprits: readonly string[];
  constructor(culprits: readonly string[]) {
    const who = culprits.length > 0 ? culprits.join(', ') : 'no single signer (inconsistent input)';
    super(
      'invalid-signature-share',
      422,
      'Invalid signature share',
      `aggregation failed; bad signature shares from: ${who}`,
      { culprits },
    );
    this.culprits = culprits;
  }
}

/** Participants saw different DKG transcripts: the relay showed them different packages. */
export class DkgInconsistentError extends CustodyError {
  readonly participants: readonly string[];
  constructor(detail: string, participants: readonly string[]) {
    super('dkg-inconsistent', 409, 'Inconsistent key ceremony', detail, { participants });
    this.participants = participants;
  }
}

/** A statement, envelope or package whose signature or ciphertext does not check out. */
export class AuthenticationFailedError extends CustodyError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super('authentication-failed', 401, 'Authentication failed', detail, extensions);
  }
}

/** A request id seen before: refusing it is what makes a captured request useless. */
export class ReplayedRequestError extends CustodyError {
  constructor(requestId: string) {
    super('replayed-request', 409, 'Replayed request', `request id ${requestId} was already used`, {
      requestId,
    });
  }
}

/** A secret share that does not match the public commitments it claims to belong to. */
export class InvalidSecretShareError extends CustodyError {
  constructor(detail: string) {
    super('invalid-secret-share', 422, 'Invalid secret share', detail);
  }
}

/** A backup kit whose reconstruction does not match the stored public share. */
export class BackupMismatchError extends CustodyError {
  constructor(detail: string) {
    super('backup-mismatch', 422, 'Backup does not match', detail);
  }
}
