/**
 * A minimal raw-SQL session over the two drivers, for what must run outside Prisma: the
 * migration runner (before any Prisma model exists) and test database set-up. Parameters are
 * written `$1, $2, …` in order for both providers.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ServiceUnavailableError } from '../shared/errors.ts';
import type { DatabaseTarget } from './database-url.ts';

export interface SqlTx {
  /** Runs one or more statements without parameters (a migration file). */
  exec(sql: string): Promise<void>;
  run(sql: string, params: readonly unknown[]): Promise<void>;
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface SqlSession {
  /** Runs `fn` in a transaction that holds the database-wide migration lock. */
  exclusive<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Rows of a bookkeeping table, or none when the table does not exist yet. */
  readApplied(table: string): Promise<{ id: string; checksum: string }[]>;
  close(): Promise<void>;
}

/** Arbitrary but fixed: every custody process contends for the same advisory lock. */
const PG_MIGRATION_LOCK = 0x637573746f6479n; // "custody"

export async function openSqlSession(target: DatabaseTarget): Promise<SqlSession> {
  try {
    return target.provider === 'sqlite'
      ? await openSqliteSession(target.file)
      : await openPostgresSession(target.url);
  } catch (error) {
    throw new ServiceUnavailableError(
      `cannot open the ${target.provider} database: ${(error as Error).message}`,
    );
  }
}

async function openSqliteSession(file: string): Promise<SqlSession> {
  mkdirSync(path.dirname(file), { recursive: true });
  // timeout 0: a busy database is retried below without blocking the event loop.
  const db = new Database(file, { timeout: 0 });
  await retryWhileBusy(() => db.pragma('journal_mode = WAL'));
  const positional = (sql: string) => sql.replace(/\$\d+/g, '?');
  const tx: SqlTx = {
    exec: async (sql) => void db.exec(sql),
    run: async (sql, params) => void db.prepare(positional(sql)).run(...params),
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      db.prepare(positional(sql)).all(...params) as T[],
  };
  return {
    async exclusive(fn) {
      await retryWhileBusy(() => db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(tx);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    async readApplied(table) {
      const exists = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(table);
      if (!exists) return [];
      return db.prepare(`SELECT id, checksum FROM ${table} ORDER BY id`).all() as {
        id: string;
        checksum: string;
      }[];
    },
    async close() {
      db.close();
    },
  };
}

async function retryWhileBusy(fn: () => unknown, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      fn();
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'SQLITE_BUSY' || Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function openPostgresSession(url: string): Promise<SqlSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tx: SqlTx = {
    exec: async (sql) => void (await client.query(sql)),
    run: async (sql, params) => void (await client.query(sql, [...params])),
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(sql, [...params])).rows as T[],
  };
  return {
    async exclusive(fn) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK.toString()]);
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
    async readApplied(table) {
      const { rows } = await client.query('SELECT to_regclass($1) AS t', [table]);
      if (!rows[0]?.t) return [];
      return (await client.query(`SELECT id, checksum FROM ${table} ORDER BY id`)).rows;
    },
    async close() {
      await client.end();
    },
  };
}
