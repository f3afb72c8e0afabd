/**
 * SignerSql for an SQLite signer: its own better-sqlite3 connection to the signer's database
 * file, prepared statements, and every transaction run start to finish in one synchronous call
 * (BEGIN IMMEDIATE … COMMIT), so no other request of this process can interleave with it. A
 * Prisma query costs about 0.25 ms of client work where a prepared statement costs a few µs,
 * and a signing request makes a dozen of them.
 *
 * Durability is the Prisma connection's: synchronous = FULL is set on this connection too (it
 * is a per-connection setting) and checked, so a commit here is on disk when it returns.
 *
 * The Prisma client of the same process keeps its own connection (DKG, multi-sig, housekeeping).
 * This connection never waits on a lock (timeout 0, which would block the event loop and with it
 * the Prisma transaction holding the lock): a busy database is retried after a short pause,
 * like withRetry. The Prisma connection never has to wait on this one for long, since this one
 * holds its write lock only within one synchronous call.
 *
 * Rows are written exactly as Prisma writes them (DateTime as ISO text with `+00:00`), so
 * Prisma reads them back unchanged.
 */
import Database from 'better-sqlite3';
import { ReplayedRequestError } from '../../custody/errors.ts';
import { jitterMs, pause } from '../../shared/jitter.ts';
import { type AuditEvent, sqliteAuditAppender, sqliteDateTime } from '../../store/audit-log.ts';
import {
  type CustodyRelease,
  type KeyRow,
  type NewNonceRow,
  type NonceRow,
  type PendingRequestId,
  type ProposalRow,
  type ReleaseItem,
  type ReleaseOutcome,
  requestIdPruner,
  type SignerSql,
} from './signer-sql.ts';

export interface SqliteSignerSql extends SignerSql {
  /** The connection's `PRAGMA synchronous` level (2 = FULL, 3 = EXTRA). */
  synchronousLevel(): number;
  close(): void;
}

const NONCE_COLUMNS = `"id", "keyId", "commitment", "sealedNonces", "status", "sessionId",
  "messageHash", "commitmentsHash", "share"`;

export function openSqliteSignerSql(file: string): SqliteSignerSql {
  const db = new Database(file, { timeout: 0, fileMustExist: true });
  try {
    db.pragma('synchronous = FULL');
    if (Number(db.pragma('synchronous', { simple: true })) < 2) {
      throw new Error('SQLite refused synchronous = FULL');
    }
    // Checkpoints are scheduled after a response instead of inside a commit (see checkpointSoon).
    db.pragma('wal_autocheckpoint = 0');
    return sqliteSignerSql(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

function sqliteSignerSql(db: Database.Database): SqliteSignerSql {
  const rememberStmt = db.prepare<[string, string]>(
    `INSERT INTO "SignerRequest" ("id", "expiresAt") VALUES (?, ?) ON CONFLICT ("id") DO NOTHING`,
  );
  const insertNonce = db.prepare<[string, string, string, string, string]>(
    `INSERT INTO "SignerNonce" ("id", "keyId", "commitment", "sealedNonces", "status", "createdAt")
     VALUES (?, ?, ?, ?, 'fresh', ?)`,
  );
  // One bound parameter however many ids: a JSON array, expanded by json_each.
  const selectNonces = db.prepare<[string], NonceRow>(
    `SELECT ${NONCE_COLUMNS} FROM "SignerNonce"
     WHERE "id" IN (SELECT "value" FROM json_each(?))`,
  );
  const selectProposals = db.prepare<[string], ProposalRow>(
    `SELECT "id", "messageHash", "keyId" FROM "SignerProposal"
     WHERE "id" IN (SELECT "value" FROM json_each(?))`,
  );
  const insertProposal = db.prepare<[string, string, string, string]>(
    `INSERT INTO "SignerProposal" ("id", "messageHash", "keyId", "createdAt") VALUES (?, ?, ?, ?)
     ON CONFLICT ("id") DO NOTHING`,
  );
  const selectProposal = db.prepare<[string], ProposalRow>(
    `SELECT "id", "messageHash", "keyId" FROM "SignerProposal" WHERE "id" = ?`,
  );
  const releaseStmt = db.prepare<[string, string, string, string, string, string, string]>(
    `UPDATE "SignerNonce" SET "status" = 'used', "sealedNonces" = NULL,
       "sessionId" = ?, "proposalId" = ?, "messageHash" = ?, "commitmentsHash" = ?,
       "share" = ?, "usedAt" = ?
     WHERE "id" = ? AND "status" = 'fresh'`,
  );
  const selectKey = db.prepare<[string], KeyRow>(
    `SELECT "id", "scheme", "publicKey", "sealedSecret" FROM "SignerKey" WHERE "id" = ?`,
  );
  const selectBindings = db.prepare<[string], { settlementTxid: string }>(
    `SELECT "settlementTxid" FROM "SignerBinding" WHERE "outpoint" IN (SELECT "value" FROM json_each(?))`,
  );
  const insertBinding = db.prepare<[string, string, string]>(
    `INSERT INTO "SignerBinding" ("outpoint", "settlementTxid", "createdAt") VALUES (?, ?, ?)
     ON CONFLICT ("outpoint") DO NOTHING`,
  );
  const insertSettlement = db.prepare<[string, string, string, bigint, number, string, string]>(
    `INSERT INTO "SignerSettlement" ("txid", "originalTxid", "inputs", "feeSats", "batchNumber",
       "nextWithdrawalIndex", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT ("txid") DO NOTHING`,
  );
  const insertChange = db.prepare<[string, bigint, string, string]>(
    `INSERT INTO "SignerCustodyOutput" ("outpoint", "valueSats", "source", "settlementTxid", "createdAt")
     VALUES (?, ?, 'change', ?, ?) ON CONFLICT ("outpoint") DO NOTHING`,
  );
  const pruneStmt = db.prepare<[string]>(`DELETE FROM "SignerRequest" WHERE "expiresAt" < ?`);
  const appendAudit = sqliteAuditAppender(db);

  // SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so one
  // signing request in a hundred paid for copying the WAL into the database and syncing it.
  // Here the same checkpoint (PASSIVE: it never waits for readers) runs on its own turn of the
  // event loop, after the answer to the request that crossed the threshold has been written.
  // Durability is unchanged: every commit is already synced in the WAL.
  let commitsSinceCheckpoint = 0;
  let checkpointScheduled = false;
  const checkpointSoon = () => {
    commitsSinceCheckpoint += 1;
    if (commitsSinceCheckpoint < CHECKPOINT_EVERY_COMMITS || checkpointScheduled) return;
    checkpointScheduled = true;
    setImmediate(() => {
      checkpointScheduled = false;
      commitsSinceCheckpoint = 0;
      try {
        if (db.open && !db.inTransaction) db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Busy (another connection writing): the next threshold tries again.
      }
    });
  };
  const pruneSoon = requestIdPruner((before) => {
    try {
      if (db.open && !db.inTransaction) pruneStmt.run(sqliteDateTime(before));
    } catch {
      // Busy: the next round prunes.
    }
  });
  const committed = <T>(value: T): T => {
    checkpointSoon();
    pruneSoon();
    return value;
  };

  const remember = (record: PendingRequestId | undefined) => {
    if (!record) return;
    if (rememberStmt.run(record.requestId, sqliteDateTime(record.expiresAt)).changes !== 1) {
      throw new ReplayedRequestError(record.requestId);
    }
  };

  const storeNoncesTx = db.transaction((rows: NewNonceRow[], record?: PendingRequestId) => {
    for (const r of rows) {
      insertNonce.run(r.id, r.keyId, r.commitment, r.sealedNonces, sqliteDateTime(r.createdAt));
    }
    remember(record);
  });

  const readTx = db.transaction((nonceIds: string[], proposalIds: string[]) => ({
    nonces: nonceIds.length === 0 ? [] : selectNonces.all(JSON.stringify(nonceIds)),
    proposals:
      proposalIds.length === 0
        ? []
        : selectProposals.all(JSON.stringify([...new Set(proposalIds)])),
  }));

  // BEGIN IMMEDIATE serialises writers, so the check and the inserts cannot interleave.
  const custodyBindable = (c: CustodyRelease): boolean =>
    !selectBindings
      .all(JSON.stringify(c.outpoints))
      .some((b) => b.settlementTxid !== c.originalTxid);

  const writeCustody = (c: CustodyRelease, now: string): void => {
    for (const outpoint of c.outpoints) insertBinding.run(outpoint, c.originalTxid, now);
    insertSettlement.run(
      c.txid,
      c.originalTxid,
      c.buildArgs,
      c.feeSats,
      c.batchNumber,
      c.nextWithdrawalIndex,
      now,
    );
    insertChange.run(c.change.outpoint, c.change.valueSats, c.txid, now);
  };

  /** The custody binding is written only with a released signature (nothing for lost/unbound). */
  const releaseItem = (item: ReleaseItem, now: string): ReleaseOutcome => {
    const outcome = releaseUnlessRebound(item, now);
    if (outcome === 'released' && item.custody) writeCustody(item.custody, now);
    return outcome;
  };

  const releaseUnlessRebound = (item: ReleaseItem, now: string): ReleaseOutcome => {
    if (item.custody && !custodyBindable(item.custody)) return 'rebound';
    if (insertProposal.run(item.proposalId, item.messageHash, item.keyId, now).changes !== 1) {
      const bound = selectProposal.get(item.proposalId);
      if (bound?.messageHash !== item.messageHash || bound.keyId !== item.keyId) return 'unbound';
    }
    if (!item.nonce) return 'released';
    const updated = releaseStmt.run(
      item.nonce.sessionId,
      item.proposalId,
      item.messageHash,
      item.nonce.commitmentsHash,
      item.nonce.share,
      now,
      item.nonce.nonceId,
    ).changes;
    return updated === 1 ? 'released' : 'lost';
  };

  // The audit entry comes last, made from the outcomes (BEGIN IMMEDIATE already serialises).
  const releaseTx = db.transaction(
    (
      record: PendingRequestId | undefined,
      audit: (outcomes: ReleaseOutcome[]) => AuditEvent,
      items: ReleaseItem[],
    ) => {
      remember(record);
      const now = sqliteDateTime(new Date());
      const outcomes = items.map((item) => releaseItem(item, now));
      appendAudit(audit(outcomes));
      return outcomes;
    },
  );

  return {
    rememberRequestId: (requestId, expiresAt) =>
      whileBusy(() => {
        if (db.inTransaction) throw new Error('signer SQLite connection left in a transaction');
        return committed(rememberStmt.run(requestId, sqliteDateTime(expiresAt)).changes === 1);
      }),
    storeNonces: (rows, record) =>
      whileBusy(() => committed(storeNoncesTx.immediate(rows, record))),
    readNonces: (ids) =>
      whileBusy(() => (ids.length === 0 ? [] : selectNonces.all(JSON.stringify(ids)))),
    // Deferred: a read-only snapshot of both tables.
    readNoncesAndProposals: (nonceIds, proposalIds) =>
      whileBusy(() => readTx.deferred(nonceIds, proposalIds)),
    readKey: (keyId) => whileBusy(() => selectKey.get(keyId)),
    release: ({ record, audit, items }) =>
      whileBusy(() => committed(releaseTx.immediate(record, audit, items))),
    synchronousLevel: () => Number(db.pragma('synchronous', { simple: true })),
    close: () => db.close(),
  };
}

/** About 10 pages per signing commit: near SQLite's default threshold of 1000 WAL pages. */
const CHECKPOINT_EVERY_COMMITS = 100;

const BUSY_DEADLINE_MS = 10_000;

/**
 * Runs `fn` (one whole transaction, synchronous) now, or again after a short pause while another
 * connection holds the write lock. better-sqlite3 has rolled the transaction back when it throws.
 */
async function whileBusy<T>(fn: () => T): Promise<T> {
  const until = Date.now() + BUSY_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > until) throw error;
      await pause(jitterMs(2 * Math.min(50, attempt)));
    }
  }
}
