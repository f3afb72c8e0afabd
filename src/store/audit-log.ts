/**
 * The append-only audit log. Each entry is chained to the one before it:
 *
 *   hash(n) = SHA-256( hash(n-1) || "\n" || canonicalJson({seq, at, actor, action, subject, data}) )
 *
 * with hash(0) = 64 zeros. Sequence numbers are contiguous from 1. So an edited entry breaks
 * its own hash, a deleted one leaves a gap in `seq`, a reordered one breaks the link to its
 * predecessor, and a deleted tail disagrees with the head row written in the same transaction.
 */
import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { canonicalJson } from '../shared/canonical-json.ts';
import { jitterMs, pause } from '../shared/jitter.ts';
import type { Db } from './store.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEvent {
  actor: string;
  action: string;
  subject?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  data: string;
  prevHash: string;
  hash: string;
}

export function hashAuditEntry(
  prevHash: string,
  e: Omit<AuditRecord, 'hash' | 'prevHash'>,
): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    data: e.data,
  });
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

/** What appendAudit and appendAuditInTx need of a client or a transaction: raw statements. */
export type Sql = Pick<Db, '$queryRaw' | '$executeRaw'>;

/** Appends one entry in its own transaction; concurrent appenders are serialised. */
export function appendAudit(db: Db, event: AuditEvent): Promise<AuditRecord> {
  return withRetry(db, (tx) => appendAuditInTx(tx, event));
}

/**
 * Appends one entry inside the caller's transaction (so an action and its audit entry commit
 * together). The head row is locked first (a no-op UPDATE), so on PostgreSQL a concurrent
 * appender waits here instead of racing for the same seq; the very first entry can still
 * race, which surfaces as a unique violation that withRetry retries. Plain SQL: a Prisma model
 * query costs about 1 ms of client work, and signers append on their signing path.
 */
export async function appendAuditInTx(tx: Sql, event: AuditEvent): Promise<AuditRecord> {
  const { record } = await appendAuditInTxAfter(
    tx,
    async () => undefined,
    () => event,
  );
  return record;
}

/**
 * appendAuditInTx for an entry that records what `work` did in the same transaction: the head
 * is locked first (so concurrent appenders still queue at the head, as with appendAuditInTx),
 * then `work` runs, then its entry is written from its result.
 */
export async function appendAuditInTxAfter<T>(
  tx: Sql,
  work: () => Promise<T>,
  eventOf: (result: T) => AuditEvent,
): Promise<{ result: T; record: AuditRecord }> {
  const [head] = await tx.$queryRaw<{ seq: number | bigint; hash: string }[]>`
    UPDATE "AuditHead" SET "seq" = "seq" WHERE "id" = 1 RETURNING "seq", "hash"`;
  const result = await work();
  const record = chainedRecord(head, eventOf(result));
  await tx.$executeRaw`
    INSERT INTO "AuditEntry" ("seq", "at", "actor", "action", "subject", "data", "prevHash", "hash")
    VALUES (${record.seq}, ${record.at}, ${record.actor}, ${record.action}, ${record.subject},
            ${record.data}, ${record.prevHash}, ${record.hash})`;
  await tx.$executeRaw`
    INSERT INTO "AuditHead" ("id", "seq", "hash") VALUES (1, ${record.seq}, ${record.hash})
    ON CONFLICT ("id") DO UPDATE SET "seq" = excluded."seq", "hash" = excluded."hash"`;
  return { result, record };
}

/** The entry that follows `head` (none: the chain's first), linked to it by hash. */
function chainedRecord(
  head: { seq: number | bigint; hash: string } | undefined,
  event: AuditEvent,
): AuditRecord {
  const entry = {
    seq: Number(head?.seq ?? 0) + 1,
    at: new Date(),
    actor: event.actor,
    action: event.action,
    subject: event.subject ?? null,
    data: canonicalJson(event.data ?? {}),
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  return { ...entry, prevHash, hash: hashAuditEntry(prevHash, entry) };
}

/** A DateTime as Prisma's SQLite adapter stores it (ISO 8601, `+00:00`), so Prisma reads it back. */
export function sqliteDateTime(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/**
 * appendAuditInTx for a better-sqlite3 connection, synchronous, with prepared statements: the
 * same rows (same columns, same DateTime text, same chain) as the Prisma path writes. The
 * caller runs it inside its own write transaction (BEGIN IMMEDIATE), which serialises appenders.
 */
export function sqliteAuditAppender(
  db: BetterSqlite3.Database,
): (event: AuditEvent) => AuditRecord {
  const lockHead = db.prepare<[], { seq: number; hash: string }>(
    'UPDATE "AuditHead" SET "seq" = "seq" WHERE "id" = 1 RETURNING "seq", "hash"',
  );
  const insertEntry = db.prepare(
    `INSERT INTO "AuditEntry" ("seq", "at", "actor", "action", "subject", "data", "prevHash", "hash")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const writeHead = db.prepare(
    `INSERT INTO "AuditHead" ("id", "seq", "hash") VALUES (1, ?, ?)
     ON CONFLICT ("id") DO UPDATE SET "seq" = excluded."seq", "hash" = excluded."hash"`,
  );
  return (event: AuditEvent): AuditRecord => {
    if (!db.inTransaction) throw new Error('sqliteAuditAppender: not inside a transaction');
    const head = lockHead.get();
    const record = chainedRecord(head, event);
    insertEntry.run(
      record.seq,
      sqliteDateTime(record.at),
      record.actor,
      record.action,
      record.subject,
      record.data,
      record.prevHash,
      record.hash,
    );
    writeHead.run(record.seq, record.hash);
    return record;
  };
}

const MAX_ATTEMPTS = 20;

/** Runs `fn` in one transaction, again from the start when it lost a race with another writer. */
export async function withRetry<T>(db: Db, fn: (tx: Sql) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction((tx) => fn(tx));
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isContention(error)) throw error;
      await pause(jitterMs(10 * attempt));
    }
  }
}

/** A lost race with another writer: the same key taken, or the database busy. */
function isContention(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code === 'P2002' || e.code === 'P2034') return true;
  return /23505|40001|40P01|unique constraint|database is locked|SQLITE_BUSY|could not serialize|deadlock/i.test(
    e.message ?? '',
  );
}

export type AuditProblemKind = 'edited' | 'missing' | 'reordered' | 'head-mismatch';

export interface VerifyAuditResult {
  ok: boolean;
  entries: number;
  headHash: string;
  problems: { seq: number; kind: AuditProblemKind; detail: string }[];
}

export interface VerifyAuditOpts {
  /** A head hash recorded outside the database; catches a rewritten head row too. */
  expectHead?: string;
  batchSize?: number;
}

export async function verifyAuditLog(
  db: Db,
  opts: VerifyAuditOpts = {},
): Promise<VerifyAuditResult> {
  const problems: VerifyAuditResult['problems'] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  const take = opts.batchSize ?? 1000;
  for (let after = 0; ; ) {
    const page = await db.auditEntry.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take,
    });
    for (const e of page) {
      entries++;
      if (e.seq !== expectedSeq) {
        problems.push({
          seq: expectedSeq,
          kind: 'missing',
          detail: `entries ${expectedSeq}..${e.seq - 1} are missing`,
        });
      }
      if (e.prevHash !== prevHash) {
        problems.push({
          seq: e.seq,
          kind: 'reordered',
          detail: 'does not link to the entry before it',
        });
      }
      if (hashAuditEntry(e.prevHash, e) !== e.hash) {
        problems.push({ seq: e.seq, kind: 'edited', detail: 'content does not match its hash' });
      }
      expectedSeq = e.seq + 1;
      prevHash = e.hash;
    }
    if (page.length < take) break;
    after = page[page.length - 1]!.seq;
  }
  const head = await db.auditHead.findUnique({ where: { id: 1 } });
  const headHash = head?.hash ?? GENESIS_HASH;
  if ((head?.seq ?? 0) !== expectedSeq - 1 || headHash !== prevHash) {
    problems.push({
      seq: head?.seq ?? 0,
      kind: 'head-mismatch',
      detail: `the head records entry ${head?.seq ?? 0} but the chain ends at ${expectedSeq - 1}: entries were deleted from the end`,
    });
  }
  if (opts.expectHead !== undefined && opts.expectHead !== headHash) {
    problems.push({
      seq: head?.seq ?? 0,
      kind: 'head-mismatch',
      detail: 'the head differs from the one recorded outside the database',
    });
  }
  return { ok: problems.length === 0, entries, headHash, problems };
}
