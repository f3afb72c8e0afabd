/**
 * Our own migration runner: Prisma's schema engine cannot be downloaded here, so the SQL that
 * `prisma migrate diff` produced (committed under prisma/migrations/<provider>/) is applied by
 * this module at start-up.
 *
 * Guarantees:
 * - all pending migrations are applied in one transaction, so a failure leaves the database as
 *   it was;
 * - two runners at once are serialised by a lock (PostgreSQL: a transaction-scoped advisory
 *   lock; SQLite: BEGIN IMMEDIATE, the database write lock), so each migration runs once;
 * - what was applied is recorded with a checksum; an applied migration whose file changed
 *   since is refused, and so is a database that records a migration this version does not
 *   know (it was migrated by a newer version, and running old code against it is unsafe).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustodyError } from '../shared/errors.ts';
import { projectRoot } from '../shared/project-root.ts';
import type { Provider } from './schema-render.ts';
import type { SqlSession } from './sql-session.ts';

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export interface RunMigrationsResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends CustodyError {
  constructor(detail: string) {
    super('migration-refused', 503, 'Database migration refused', detail);
  }
}

export const MIGRATIONS_TABLE = '_custody_migrations';

export function loadMigrations(
  provider: Provider,
  root = path.join(projectRoot(), 'prisma', 'migrations'),
): Migration[] {
  const dir = path.join(root, provider);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^\d{4}_[a-z0-9_]+$/.test(d))
    .sort()
    .map((id) => {
      const sql = readFileSync(path.join(dir, id, 'migration.sql'), 'utf8');
      return { id, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

interface AppliedRow {
  id: string;
  checksum: string;
}

export async function runMigrations(
  session: SqlSession,
  migrations: readonly Migration[],
): Promise<RunMigrationsResult> {
  return session.exclusive(async (tx) => {
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const applied = await tx.query<AppliedRow>(
      `SELECT id, checksum FROM ${MIGRATIONS_TABLE} ORDER BY id`,
    );
    checkApplied(applied, migrations);
    const done = new Set(applied.map((r) => r.id));
    const pending = migrations.filter((m) => !done.has(m.id));
    for (const m of pending) {
      await tx.exec(m.sql);
      await tx.run(
        `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, applied_at) VALUES ($1, $2, $3)`,
        [m.id, m.checksum, new Date().toISOString()],
      );
    }
    return { applied: pending.map((m) => m.id), alreadyApplied: [...done] };
  });
}

/** Pending migrations without applying them (for /readyz and `custody migrate --status`). */
export async function pendingMigrations(
  session: SqlSession,
  migrations: readonly Migration[],
): Promise<string[]> {
  return pendingAfter(await session.readApplied(MIGRATIONS_TABLE), migrations);
}

/** Ids of `migrations` not in `applied`; refuses unknown or edited applied ones. */
export function pendingAfter(
  applied: readonly AppliedRow[],
  migrations: readonly Migration[],
): string[] {
  checkApplied(applied, migrations);
  const done = new Set(applied.map((r) => r.id));
  return migrations.filter((m) => !done.has(m.id)).map((m) => m.id);
}

function checkApplied(applied: readonly AppliedRow[], migrations: readonly Migration[]): void {
  const known = new Map(migrations.map((m) => [m.id, m]));
  for (const row of applied) {
    const m = known.get(row.id);
    if (!m) {
      throw new MigrationError(
        `the database was migrated by a newer version (unknown migration ${row.id}); run a custody version that includes it`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${row.id} was changed after it was applied to this database (checksum mismatch)`,
      );
    }
  }
}
