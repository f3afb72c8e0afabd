/**
 * The signer's hot-path statements as plain SQL through its Prisma client ($queryRaw /
 * $executeRaw, parameters bound, never spliced). A Prisma model query costs ~1 ms of client and
 * query-compiler work here, a raw statement ~0.25 ms, and one signing request makes a dozen of
 * them. The SQL is the common subset of SQLite and PostgreSQL (quoted identifiers,
 * INSERT ... ON CONFLICT, UPDATE ... RETURNING); DateTime values are bound as Date, which the
 * adapters store exactly as Prisma's own writes do (Prisma reads them back unchanged).
 */
import { canonicalJson } from '../../shared/canonical-json.ts';
import { GENESIS_HASH, hashAuditEntry } from '../../store/audit-log.ts';
import { Prisma } from '../../store/generated/sqlite/client.ts';
import type { Db } from '../../store/store.ts';

export type Sql = Pick<Db, '$queryRaw' | '$executeRaw'>;

/** Records a request id; false if it was already recorded (a replay). */
export async function rememberRequestId(
  db: Sql,
  requestId: string,
  expiresAt: Date,
): Promise<boolean> {
  const inserted = await db.$executeRaw`
    INSERT INTO "SignerRequest" ("id", "expiresAt") VALUES (${requestId}, ${expiresAt})
    ON CONFLICT ("id") DO NOTHING`;
  return inserted === 1;
}

export interface NewNonceRow {
  id: string;
  keyId: string;
  commitment: string;
  sealedNonces: string;
  createdAt: Date;
}

/** Stores fresh nonces (one statement; callers pass at most 1000 rows). */
export async function insertNonces(db: Sql, rows: NewNonceRow[]): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(
    (r) =>
      Prisma.sql`(${r.id}, ${r.keyId}, ${r.commitment}, ${r.sealedNonces}, 'fresh', ${r.createdAt})`,
  );
  const inserted = await db.$executeRaw`
    INSERT INTO "SignerNonce" ("id", "keyId", "commitment", "sealedNonces", "status", "createdAt")
    VALUES ${Prisma.join(values)}`;
  if (inserted !== rows.length) throw new Error(`stored ${inserted} of ${rows.length} nonces`);
}

export interface NonceRow {
  id: string;
  keyId: string;
  commitment: string;
  sealedNonces: string | null;
  status: string;
  sessionId: string | null;
  messageHash: string | null;
  commitmentsHash: string | null;
  share: string | null;
}

export async function readNonces(db: Sql, ids: string[]): Promise<NonceRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<NonceRow[]>`
    SELECT "id", "keyId", "commitment", "sealedNonces", "status", "sessionId", "messageHash",
           "commitmentsHash", "share"
    FROM "SignerNonce" WHERE "id" IN (${Prisma.join(ids)})`;
}

export interface ProposalRow {
  id: string;
  messageHash: string;
  keyId: string;
}

/**
 * The nonces a signing request names and the current bindings of its proposals, in one
 * statement (a UNION ALL of the two tables, told apart by "kind").
 */
export async function readNoncesAndProposals(
  db: Sql,
  nonceIds: string[],
  proposalIds: string[],
): Promise<{ nonces: NonceRow[]; proposals: ProposalRow[] }> {
  if (nonceIds.length === 0 || proposalIds.length === 0) {
    return {
      nonces: await readNonces(db, nonceIds),
      proposals: await readProposals(db, proposalIds),
    };
  }
  const rows = await db.$queryRaw<(NonceRow & { kind: string })[]>`
    SELECT 'n' AS "kind", "id", "keyId", "commitment", "sealedNonces", "status", "sessionId",
           "messageHash", "commitmentsHash", "share"
    FROM "SignerNonce" WHERE "id" IN (${Prisma.join(nonceIds)})
    UNION ALL
    SELECT 'p' AS "kind", "id", "keyId", NULL, NULL, NULL, NULL, "messageHash", NULL, NULL
    FROM "SignerProposal" WHERE "id" IN (${Prisma.join([...new Set(proposalIds)])})`;
  const nonces: NonceRow[] = [];
  const proposals: ProposalRow[] = [];
  for (const { kind, ...row } of rows) {
    if (kind === 'n') nonces.push(row);
    else proposals.push({ id: row.id, keyId: row.keyId, messageHash: row.messageHash as string });
  }
  return { nonces, proposals };
}

export async function readProposals(db: Sql, ids: string[]): Promise<ProposalRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<ProposalRow[]>`
    SELECT "id", "messageHash", "keyId" FROM "SignerProposal"
    WHERE "id" IN (${Prisma.join([...new Set(ids)])})`;
}

/** Inside the releasing transaction: bind the proposal, or confirm it is bound to this message. */
export async function bindProposalSql(
  tx: Sql,
  p: { proposalId: string; keyId: string; messageHash: string },
): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO "SignerProposal" ("id", "messageHash", "keyId", "createdAt")
    VALUES (${p.proposalId}, ${p.messageHash}, ${p.keyId}, ${new Date()})
    ON CONFLICT ("id") DO NOTHING`;
  if (inserted === 1) return true;
  const [bound] = await tx.$queryRaw<ProposalRow[]>`
    SELECT "id", "messageHash", "keyId" FROM "SignerProposal" WHERE "id" = ${p.proposalId}`;
  return bound !== undefined && bound.messageHash === p.messageHash && bound.keyId === p.keyId;
}

export interface Release {
  nonceId: string;
  sessionId: string;
  proposalId: string;
  messageHash: string;
  commitmentsHash: string;
  share: string;
}

/** Marks a fresh nonce used, erasing its sealed secrets and recording the share; false if not fresh. */
export async function releaseNonce(tx: Sql, r: Release): Promise<boolean> {
  const updated = await tx.$executeRaw`
    UPDATE "SignerNonce" SET "status" = 'used', "sealedNonces" = NULL,
      "sessionId" = ${r.sessionId}, "proposalId" = ${r.proposalId},
      "messageHash" = ${r.messageHash}, "commitmentsHash" = ${r.commitmentsHash},
      "share" = ${r.share}, "usedAt" = ${new Date()}
    WHERE "id" = ${r.nonceId} AND "status" = 'fresh'`;
  return updated === 1;
}

export interface AuditEventSql {
  actor: string;
  action: string;
  subject: string | null;
  data: Record<string, unknown>;
}

/**
 * Appends one entry to the audit chain inside the caller's transaction: the same entry, hash
 * and head row as appendAudit (store/audit-log.ts), so verifyAuditLog checks it the same way.
 * The head row is locked first (UPDATE), so on PostgreSQL a concurrent appender waits here
 * instead of racing for the same seq; the very first entry can still race, which surfaces as
 * a unique violation that withRetry below retries.
 */
export async function appendAuditSql(tx: Sql, event: AuditEventSql): Promise<void> {
  const [head] = await tx.$queryRaw<{ seq: number | bigint; hash: string }[]>`
    UPDATE "AuditHead" SET "seq" = "seq" WHERE "id" = 1 RETURNING "seq", "hash"`;
  const entry = {
    seq: Number(head?.seq ?? 0) + 1,
    at: new Date(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    data: canonicalJson(event.data),
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  const hash = hashAuditEntry(prevHash, entry);
  await tx.$executeRaw`
    INSERT INTO "AuditEntry" ("seq", "at", "actor", "action", "subject", "data", "prevHash", "hash")
    VALUES (${entry.seq}, ${entry.at}, ${entry.actor}, ${entry.action}, ${entry.subject},
            ${entry.data}, ${prevHash}, ${hash})`;
  await tx.$executeRaw`
    INSERT INTO "AuditHead" ("id", "seq", "hash") VALUES (1, ${entry.seq}, ${hash})
    ON CONFLICT ("id") DO UPDATE SET "seq" = excluded."seq", "hash" = excluded."hash"`;
}

const MAX_ATTEMPTS = 20;

/** Runs `fn` in one transaction, again from the start when it lost a race with another writer. */
export async function withRetry<T>(db: Db, fn: (tx: Sql) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction((tx) => fn(tx));
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isContention(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

function isContention(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code === 'P2002' || e.code === 'P2034') return true;
  return /23505|40001|40P01|unique constraint|database is locked|SQLITE_BUSY|could not serialize|deadlock/i.test(
    e.message ?? '',
  );
}
