/**
 * The store: a Prisma client for the provider DATABASE_URL names, over a driver adapter (no
 * native Prisma engine), with migrations applied (or checked) before the client is returned.
 */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { type DatabaseTarget, parseDatabaseUrl } from './database-url.ts';
import { PrismaClient as PostgresClient } from './generated/postgresql/client.ts';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts';
import {
  loadMigrations,
  MigrationError,
  pendingMigrations,
  type RunMigrationsResult,
  runMigrations,
} from './migrations.ts';
import type { Provider } from './schema-render.ts';
import { openSqlSession } from './sql-session.ts';

/**
 * Both generated clients come from one schema source, so their model APIs are the same; the
 * SQLite client's type stands for both.
 */
export type Db = SqliteClient;

/** The provider of every client openStore made (a Prisma client does not say which it is). */
const providers = new WeakMap<object, Provider>();

/** Which database a client from openStore talks to. */
export function providerOf(db: Db): Provider {
  const provider = providers.get(db);
  if (provider === undefined) throw new Error('providerOf: not a client opened by openStore');
  return provider;
}

export interface Store {
  db: Db;
  provider: Provider;
  target: DatabaseTarget;
  close(): Promise<void>;
}

export interface OpenStoreOpts {
  databaseUrl: string;
  /** Apply pending migrations first (default). When false, pending migrations are an error. */
  migrate?: boolean;
}

export async function openStore(opts: OpenStoreOpts): Promise<Store> {
  const target = parseDatabaseUrl(opts.databaseUrl);
  if (opts.migrate === false) {
    const pending = await checkMigrations(target);
    if (pending.length > 0) {
      throw new MigrationError(
        `the database has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`custody migrate\``,
      );
    }
  } else {
    await migrate(target);
  }
  const db = createClient(target);
  providers.set(db, target.provider);
  await db.$connect();
  if (target.provider === 'sqlite') {
    // better-sqlite3 runs WAL with synchronous=NORMAL, where the last commits before a power
    // cut can vanish: a used nonce could come back unused, a broadcast settlement unrecorded.
    // FULL syncs the WAL at every commit. (The adapter holds one connection, so it sticks.)
    await db.$queryRawUnsafe('PRAGMA synchronous = FULL');
  }
  return { db, provider: target.provider, target, close: () => db.$disconnect() };
}

export async function migrate(target: DatabaseTarget): Promise<RunMigrationsResult> {
  const session = await openSqlSession(target);
  try {
    return await runMigrations(session, loadMigrations(target.provider));
  } finally {
    await session.close();
  }
}

export async function checkMigrations(target: DatabaseTarget): Promise<string[]> {
  const session = await openSqlSession(target);
  try {
    return await pendingMigrations(session, loadMigrations(target.provider));
  } finally {
    await session.close();
  }
}

function createClient(target: DatabaseTarget): Db {
  if (target.provider === 'sqlite') {
    return new SqliteClient({
      adapter: new PrismaBetterSQLite3({ url: target.file, timeout: 10_000 }),
    });
  }
  return new PostgresClient({
    adapter: new PrismaPg({ connectionString: target.url }),
  }) as unknown as Db;
}
