/**
 * Fresh databases for tests: an SQLite file in a temporary directory, and a PostgreSQL
 * database created for the test on 127.0.0.1:5432 and dropped after it. PostgreSQL is not
 * optional: an unreachable server fails the suite rather than skipping it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../src/store/store.ts';

export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  kind: 'sqlite' | 'postgresql';
  url: string;
  drop(): Promise<void>;
}

export const DATABASE_KINDS = ['sqlite', 'postgresql'] as const;

export async function createTestDatabase(kind: TestDatabase['kind']): Promise<TestDatabase> {
  return kind === 'sqlite' ? createSqliteDatabase() : createPostgresDatabase();
}

function createSqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-test-'));
  return {
    kind: 'sqlite',
    url: `file:${path.join(dir, 'custody.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `custody_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind: 'postgresql',
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database of `kind` with the store opened on it for the enclosing describe block;
 * closed and dropped after it. Read `.store` / `.database` inside tests, not at collection.
 */
export function useFreshStore(kind: TestDatabase['kind']): {
  store: Store;
  database: TestDatabase;
} {
  const ctx = {} as { store: Store; database: TestDatabase };
  beforeAll(async () => {
    ctx.database = await createTestDatabase(kind);
    ctx.store = await openStore({ databaseUrl: ctx.database.url });
  });
  afterAll(async () => {
    await ctx.store?.close();
    await ctx.database?.drop();
  });
  return ctx;
}
