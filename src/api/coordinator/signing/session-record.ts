/**
 * The persisted side of a signing session (SigningSession row plus audit entries), shared by
 * the FROST and multi-sig sessions so both record the same life cycle:
 * round1 → round2 → signed, or failed with a reason and the culprits.
 */
import { CustodyError } from '../../../shared/errors.ts';
import { ID_PREFIXES, newId } from '../../../shared/ids.ts';
import { appendAudit, appendAuditInTx, type Sql, withRetry } from '../../../store/audit-log.ts';
import type { Db } from '../../../store/store.ts';

export type SessionScheme = 'frost' | 'multisig-p2wsh' | 'multisig-tapscript';

/**
 * What one signer of the key answered in a session. `signed`: it verified the settlement from
 * its own records and released its signature (a signer never signs otherwise);
 * `did-not-sign`: it refused (with its policy reason), failed or timed out; `bad-share`: its
 * answer did not verify; `not-asked`: the threshold was met without it.
 */
export interface SignerReport {
  signer: string;
  outcome: 'signed' | 'did-not-sign' | 'bad-share' | 'not-asked';
  detail: string | null;
}

/**
 * Each signer's answer in a session. A share that did not verify outranks a signature (a
 * culprit's answer is never used); a reason outranks silence.
 */
export function signerReports(seen: {
  signers: readonly string[];
  signedBy: readonly string[];
  culprits: ReadonlySet<string>;
  reasons: ReadonlyMap<string, string>;
}): SignerReport[] {
  const ids = [...new Set([...seen.signers, ...seen.signedBy, ...seen.reasons.keys()])];
  return ids.map((signer): SignerReport => {
    if (seen.culprits.has(signer)) {
      return { signer, outcome: 'bad-share', detail: 'its answer did not verify' };
    }
    if (seen.signedBy.includes(signer)) return { signer, outcome: 'signed', detail: null };
    const reason = seen.reasons.get(signer);
    if (reason !== undefined) return { signer, outcome: 'did-not-sign', detail: reason };
    return { signer, outcome: 'not-asked', detail: null };
  });
}

type SessionOpts = {
  scheme: SessionScheme;
  message: string;
  settlementId?: string | undefined;
  /** Every signer of the key, for the reports. */
  signers?: readonly string[];
};

export class SigningFailedError extends CustodyError {
  constructor(sessionId: string, detail: string, extensions: Record<string, unknown>) {
    super('signing-failed', 503, 'Signing failed', `session ${sessionId}: ${detail}`, {
      sessionId,
      ...extensions,
    });
  }
}

const ACTOR = 'coordinator';

type FinalState = { signature?: string; reason?: string; culprits: string; reports: string };

export class SessionRecord {
  readonly culprits = new Set<string>();
  readonly unresponsive = new Set<string>();
  /** Why each signer left out did not answer (a refusal names its policy reason). */
  readonly reasons = new Map<string, string>();

  private constructor(
    private readonly db: Db,
    readonly id: string,
    /** The session row's insert; every later write waits for it. */
    private readonly inserted: Promise<void>,
    private readonly signerIds: readonly string[],
  ) {
    // Awaited by the writes below and by `persisted`; this only keeps a failure that nobody
    // has awaited yet from counting as an unhandled rejection.
    inserted.catch(() => undefined);
  }

  static async create(db: Db, opts: SessionOpts): Promise<SessionRecord> {
    const session = SessionRecord.begin(db, opts);
    await session.persisted();
    return session;
  }

  /**
   * Starts writing the session row and returns at once, so the row's commit overlaps work
   * that needs no record yet (FROST round 1 only draws nonce commitments). Anything that asks
   * a signer to sign must await `persisted()` first.
   */
  static begin(db: Db, opts: SessionOpts): SessionRecord {
    const id = newId(ID_PREFIXES.signingSession);
    // Plain SQL (a Prisma model query costs about 1 ms of client work, a raw one a quarter of
    // that), with the defaults Prisma would fill in: attempt 1, createdAt and updatedAt now.
    const now = new Date();
    const inserted = db.$executeRaw`
      INSERT INTO "SigningSession" ("id", "settlementId", "scheme", "messageHash", "status",
        "attempt", "participants", "createdAt", "updatedAt")
      VALUES (${id}, ${opts.settlementId ?? null}, ${opts.scheme}, ${opts.message}, 'round1',
        1, '[]', ${now}, ${now})`.then(() => undefined);
    return new SessionRecord(db, id, inserted, opts.signers ?? []);
  }

  persisted(): Promise<void> {
    return this.inserted;
  }

  eligible<T extends { signerId: string }>(signers: readonly T[]): T[] {
    return signers.filter(
      (s) => !this.culprits.has(s.signerId) && !this.unresponsive.has(s.signerId),
    );
  }

  async round(status: 'round1' | 'round2', attempt: number, participants: string[]) {
    await this.inserted;
    await this.db.$executeRaw`
      UPDATE "SigningSession" SET "status" = ${status}, "attempt" = ${attempt},
        "participants" = ${JSON.stringify(participants)}, "updatedAt" = ${new Date()}
      WHERE "id" = ${this.id}`;
  }

  /** Why a signer did not answer, kept for the reports (it is not left out for that). */
  note(signerId: string, reason: string): void {
    this.reasons.set(signerId, reason);
  }

  /** A signer that did not answer this round (down, timed out, or refusing) is not asked again. */
  leaveOut(signerId: string, reason: string): void {
    this.unresponsive.add(signerId);
    this.reasons.set(signerId, reason);
  }

  async blame(attempt: number, culprits: string[], detail: Record<string, unknown> = {}) {
    for (const id of culprits) this.culprits.add(id);
    await this.inserted;
    await appendAudit(this.db, {
      actor: ACTOR,
      action: 'signing.bad-share',
      subject: this.id,
      data: { attempt, culprits, ...detail },
    });
  }

  async signed(signature: string, data: { participants: string[] } & Record<string, unknown>) {
    const culprits = JSON.stringify([...this.culprits]);
    const reports = JSON.stringify(this.reports(data.participants));
    await this.finish('signed', { signature, culprits, reports }, 'signing.signed', data);
  }

  /** Each signer's answer, from what the session saw of it (SignerReport). */
  reports(signedBy: readonly string[]): SignerReport[] {
    return signerReports({
      signers: this.signerIds,
      signedBy,
      culprits: this.culprits,
      reasons: this.reasons,
    });
  }

  async fail(summary: string): Promise<never> {
    const culprits = [...this.culprits];
    const unresponsive = [...this.unresponsive];
    const why = [...this.reasons].map(([id, reason]) => `${id}: ${reason}`).join('; ');
    // The signers' own words: a refusing signer's reason is what an operator needs first.
    const detail = why === '' ? summary : `${summary} (${why})`;
    await this.finish(
      'failed',
      {
        reason: detail,
        culprits: JSON.stringify(culprits),
        reports: JSON.stringify(this.reports([])),
      },
      'signing.failed',
      { detail, culprits, unresponsive },
    );
    throw new SigningFailedError(this.id, detail, { culprits, unresponsive });
  }

  /** The row's final state and its audit entry, in one transaction (one commit, not two). */
  private async finish(
    status: 'signed' | 'failed',
    set: FinalState,
    action: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.inserted;
    await withRetry(this.db, async (tx) => {
      await this.setFinalState(tx, status, set);
      await appendAuditInTx(tx, { actor: ACTOR, action, subject: this.id, data });
    });
  }

  /** Plain SQL inside the audit transaction (raw statements only); sets updatedAt as Prisma does. */
  private async setFinalState(
    tx: Sql,
    status: 'signed' | 'failed',
    set: FinalState,
  ): Promise<void> {
    const updated = await tx.$executeRaw`
      UPDATE "SigningSession" SET "status" = ${status}, "culprits" = ${set.culprits},
        "reports" = ${set.reports},
        "signature" = COALESCE(${set.signature ?? null}, "signature"),
        "reason" = COALESCE(${set.reason ?? null}, "reason"), "updatedAt" = ${new Date()}
      WHERE "id" = ${this.id}`;
    if (updated !== 1) throw new Error(`signing session ${this.id} not found`);
  }
}
