/**
 * The signer's hot-path storage. SignerSql is the interface the signing services use, in whole
 * transactions; an SQLite signer serves it from its own connection with prepared statements
 * (signer-sqlite.ts), anything else from the Prisma client below.
 *
 * The Prisma side is plain SQL ($queryRaw / $executeRaw, parameters bound, never spliced): a
 * Prisma model query costs ~1 ms of client and query-compiler work here, a raw statement
 * ~0.25 ms, and one signing request makes a dozen of them. The SQL is the common subset of
 * SQLite and PostgreSQL (quoted identifiers, INSERT ... ON CONFLICT, UPDATE ... RETURNING);
 * DateTime values are bound as Date, which the adapters store exactly as Prisma's own writes do
 * (Prisma reads them back unchanged).
 */
import { ReplayedRequestError } from '../../custody/errors.ts';
import { ConflictError } from '../../shared/errors.ts';
import {
  type AuditEvent,
  appendAuditInTxAfter,
  type Sql,
  withRetry,
} from '../../store/audit-log.ts';
import { Prisma } from '../../store/generated/sqlite/client.ts';
import { type Db, providerOf } from '../../store/store.ts';

export type { Sql } from '../../store/audit-log.ts';

/** A request id to record in the same transaction as the work it asked for. */
export interface PendingRequestId {
  requestId: string;
  expiresAt: Date;
}

/** What a FROST share uses up: its nonce, marked used with the session and the share. */
export type NonceRelease = Omit<Release, 'proposalId' | 'messageHash'>;

/** One signature to release: the proposal binding it needs and, for FROST, its nonce. */
export interface ReleaseItem {
  proposalId: string;
  keyId: string;
  messageHash: string;
  /** Absent for a multi-sig signature, which uses up nothing but binds its proposal. */
  nonce?: NonceRelease;
  /** The settlement it signs for: its custody outputs are bound to it in the same transaction. */
  custody?: CustodyRelease;
}

/**
 * What a settlement signature binds: every custody output the transaction spends, to the
 * settlement's first version (`originalTxid`); the version signed (its builder arguments, so it
 * is rebuilt rather than read); and its change, the next custody output this signer knows.
 */
export interface CustodyRelease {
  originalTxid: string;
  txid: string;
  outpoints: string[];
  /** JSON {inputs: StoredInputs, head: StoredHead} of the first version. */
  buildArgs: string;
  feeSats: bigint;
  batchNumber: number;
  nextWithdrawalIndex: string;
  change: { outpoint: string; valueSats: bigint };
}

/**
 * What each item of a release came to: `released` (bound, its nonce if any marked used with
 * its share), `unbound` (the proposal is bound to another message or key; nothing written for
 * it), `lost` (the nonce was no longer fresh: another request used it first) or `rebound` (a
 * custody output it spends was bound to another settlement first; nothing written for it).
 */
export type ReleaseOutcome = 'released' | 'unbound' | 'lost' | 'rebound';

/**
 * The signer's hot-path storage, as whole transactions (never a transaction left open across
 * an await by a caller): the Prisma implementation below serves PostgreSQL and any caller that
 * has no other; signer-sqlite.ts serves an SQLite signer with prepared statements.
 *
 * Every method that takes a PendingRequestId records it in the same transaction and, if it was
 * already recorded, throws ReplayedRequestError and writes nothing.
 */
export interface SignerSql {
  /** Records a request id on its own; false if it was already recorded (a replay). */
  rememberRequestId(requestId: string, expiresAt: Date): Promise<boolean>;
  /** Stores fresh nonces durably (with the request id). */
  storeNonces(rows: NewNonceRow[], record?: PendingRequestId): Promise<void>;
  readNonces(ids: string[]): Promise<NonceRow[]>;
  readNoncesAndProposals(
    nonceIds: string[],
    proposalIds: string[],
  ): Promise<{ nonces: NonceRow[]; proposals: ProposalRow[] }>;
  /** A stored key's row (its secret still sealed), or undefined. */
  readKey(keyId: string): Promise<KeyRow | undefined>;
  /**
   * One durable transaction: the request id, for each item its proposal binding and the
   * release of its nonce, then the audit entry `audit` makes of their outcomes (so it records
   * what was released, not only what the policy allowed). Returns one outcome per item.
   */
  release(opts: {
    record?: PendingRequestId;
    audit: (outcomes: ReleaseOutcome[]) => AuditEvent;
    items: ReleaseItem[];
  }): Promise<ReleaseOutcome[]>;
}

/** A recorded request id is kept this long past its expiry (it is refused as stale anyway). */
const REQUEST_ID_GRACE_MS = 60_000;
const PRUNE_EVERY_MS = 10_000;

/**
 * Pruning of expired request ids, for both SignerSql implementations: `prune(before)` runs at
 * most once every 10 s, on its own turn of the event loop after the commit that asked for it,
 * so it is housekeeping off the request path.
 */
export function requestIdPruner(prune: (before: Date) => void): () => void {
  let last = 0;
  return () => {
    if (Date.now() - last < PRUNE_EVERY_MS) return;
    last = Date.now();
    setImmediate(() => prune(new Date(Date.now() - REQUEST_ID_GRACE_MS)));
  };
}

/**
 * The transaction that stores nonces or releases shares. On PostgreSQL it first sets
 * synchronous_commit on for itself: the server's or database's default may be off, and then
 * a crash could undo a nonce's used mark after its share left (see durability.ts).
 */
function durableTransaction(db: Db): <T>(fn: (tx: Sql) => Promise<T>) => Promise<T> {
  if (providerOf(db) !== 'postgresql') return (fn) => withRetry(db, fn);
  return (fn) =>
    withRetry(db, async (tx) => {
      await tx.$executeRaw`SET LOCAL synchronous_commit = on`;
      return fn(tx);
    });
}

/** SignerSql through the Prisma client (raw statements; PostgreSQL, or SQLite without a fast path). */
export function prismaSignerSql(db: Db): SignerSql {
  const durably = durableTransaction(db);
  const pruneSoon = requestIdPruner((before) => {
    db.signerRequest.deleteMany({ where: { expiresAt: { lt: before } } }).catch(() => {
      // Busy or closing: the next round prunes.
    });
  });
  const remember = async (tx: Sql, record: PendingRequestId | undefined) => {
    if (record && !(await rememberRequestId(tx, record.requestId, record.expiresAt))) {
      throw new ReplayedRequestError(record.requestId);
    }
  };
  return {
    async rememberRequestId(requestId, expiresAt) {
      const fresh = await rememberRequestId(db, requestId, expiresAt);
      pruneSoon();
      return fresh;
    },
    async storeNonces(rows, record) {
      await durably(async (tx) => {
        await insertNonces(tx, rows);
        await remember(tx, record);
      });
      pruneSoon();
    },
    readNonces: (ids) => readNonces(db, ids),
    readNoncesAndProposals: (nonceIds, proposalIds) =>
      readNoncesAndProposals(db, nonceIds, proposalIds),
    readKey: async (keyId) =>
      (await db.signerKey.findUnique({ where: { id: keyId } })) ?? undefined,
    async release({ record, audit, items }) {
      const outcomes = await durably(async (tx) => {
        await remember(tx, record);
        const { result } = await appendAuditInTxAfter(tx, () => releaseItems(tx, items), audit);
        return result;
      });
      pruneSoon();
      return outcomes;
    },
  };
}

/** Binds each item's proposal and releases its nonce, in order; one outcome per item. */
async function releaseItems(tx: Sql, items: ReleaseItem[]): Promise<ReleaseOutcome[]> {
  const out: ReleaseOutcome[] = [];
  for (const item of items) {
    const outcome = await releaseUnlessRebound(tx, item);
    // The custody binding is written only with a released signature (nothing for lost/unbound).
    if (outcome === 'released' && item.custody) await writeCustodySql(tx, item.custody);
    out.push(outcome);
  }
  return out;
}

async function releaseUnlessRebound(tx: Sql, item: ReleaseItem): Promise<ReleaseOutcome> {
  if (item.custody && !(await custodyBindableSql(tx, item.custody))) return 'rebound';
  if (!(await bindProposalSql(tx, item))) return 'unbound';
  if (!item.nonce) return 'released';
  const { proposalId, messageHash } = item;
  const released = await releaseNonce(tx, { ...item.nonce, proposalId, messageHash });
  return released ? 'released' : 'lost';
}

/** Records a request id; false if it was already recorded (a replay). */
async function rememberRequestId(db: Sql, requestId: string, expiresAt: Date): Promise<boolean> {
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
async function insertNonces(db: Sql, rows: NewNonceRow[]): Promise<void> {
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

async function readNonces(db: Sql, ids: string[]): Promise<NonceRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<NonceRow[]>`
    SELECT "id", "keyId", "commitment", "sealedNonces", "status", "sessionId", "messageHash",
           "commitmentsHash", "share"
    FROM "SignerNonce" WHERE "id" IN (${Prisma.join(ids)})`;
}

export interface KeyRow {
  id: string;
  scheme: string;
  publicKey: string;
  sealedSecret: string;
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
async function readNoncesAndProposals(
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

async function readProposals(db: Sql, ids: string[]): Promise<ProposalRow[]> {
  if (ids.length === 0) return [];
  return db.$queryRaw<ProposalRow[]>`
    SELECT "id", "messageHash", "keyId" FROM "SignerProposal"
    WHERE "id" IN (${Prisma.join([...new Set(ids)])})`;
}

/** Inside the releasing transaction: bind the proposal, or confirm it is bound to this message. */
async function bindProposalSql(
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
async function releaseNonce(tx: Sql, r: Release): Promise<boolean> {
  const updated = await tx.$executeRaw`
    UPDATE "SignerNonce" SET "status" = 'used', "sealedNonces" = NULL,
      "sessionId" = ${r.sessionId}, "proposalId" = ${r.proposalId},
      "messageHash" = ${r.messageHash}, "commitmentsHash" = ${r.commitmentsHash},
      "share" = ${r.share}, "usedAt" = ${new Date()}
    WHERE "id" = ${r.nonceId} AND "status" = 'fresh'`;
  return updated === 1;
}

/**
 * Inside the releasing transaction: bind every custody output the settlement spends to its
 * first version, record the version and its change; false (nothing written) when one of them is
 * bound to another settlement. Two transactions binding at once on PostgreSQL: the second's
 * insert waits for the first and inserts nothing; reading the bindings again then shows the
 * first's, and a binding to another settlement throws so the whole transaction rolls back.
 */
export async function bindCustodySql(tx: Sql, c: CustodyRelease): Promise<boolean> {
  if (!(await custodyBindableSql(tx, c))) return false;
  await writeCustodySql(tx, c);
  return true;
}

/** False when a custody output the settlement spends is bound to another settlement. */
async function custodyBindableSql(tx: Sql, c: CustodyRelease): Promise<boolean> {
  const bound = await tx.$queryRaw<{ settlementTxid: string }[]>`
    SELECT "settlementTxid" FROM "SignerBinding" WHERE "outpoint" IN (${Prisma.join(c.outpoints)})`;
  return !bound.some((b) => b.settlementTxid !== c.originalTxid);
}

async function writeCustodySql(tx: Sql, c: CustodyRelease): Promise<void> {
  const now = new Date();
  for (const outpoint of c.outpoints) {
    await tx.$executeRaw`
      INSERT INTO "SignerBinding" ("outpoint", "settlementTxid", "createdAt")
      VALUES (${outpoint}, ${c.originalTxid}, ${now}) ON CONFLICT ("outpoint") DO NOTHING`;
  }
  // Read again after the inserts: on PostgreSQL an insert that met another transaction's row
  // waited for it to commit, and this statement sees it. Bound to this settlement (another
  // request for it, at the same time) is fine; bound to another one rolls everything back.
  const bound = await tx.$queryRaw<{ settlementTxid: string }[]>`
    SELECT "settlementTxid" FROM "SignerBinding" WHERE "outpoint" IN (${Prisma.join(c.outpoints)})`;
  if (
    bound.length !== c.outpoints.length ||
    bound.some((b) => b.settlementTxid !== c.originalTxid)
  ) {
    throw new ConflictError('a custody output was bound to another settlement at the same time');
  }
  await tx.$executeRaw`
    INSERT INTO "SignerSettlement" ("txid", "originalTxid", "inputs", "feeSats", "batchNumber",
      "nextWithdrawalIndex", "createdAt")
    VALUES (${c.txid}, ${c.originalTxid}, ${c.buildArgs}, ${c.feeSats}, ${c.batchNumber},
      ${c.nextWithdrawalIndex}, ${now})
    ON CONFLICT ("txid") DO NOTHING`;
  await tx.$executeRaw`
    INSERT INTO "SignerCustodyOutput" ("outpoint", "valueSats", "source", "settlementTxid", "createdAt")
    VALUES (${c.change.outpoint}, ${c.change.valueSats}, 'change', ${c.txid}, ${now})
    ON CONFLICT ("outpoint") DO NOTHING`;
}
