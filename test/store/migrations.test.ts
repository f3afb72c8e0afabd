import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/store/database-url.ts';
import { loadMigrations, MigrationError, runMigrations } from '../../src/store/migrations.ts';
import { openSqlSession } from '../../src/store/sql-session.ts';
import { checkMigrations, migrate, openStore } from '../../src/store/store.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts';

describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await database.drop();
  });

  it('applies every migration to an empty database, then finds nothing to do', async () => {
    const target = parseDatabaseUrl(database.url);
    const all = loadMigrations(target.provider).map((m) => m.id);
    expect(all.length).toBeGreaterThan(0);
    expect(await checkMigrations(target)).toEqual(all);

    const first = await migrate(target);
    expect(first.applied).toEqual(all);
    const second = await migrate(target);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(all);
    expect(await checkMigrations(target)).toEqual([]);
  });

  it('gives a working client whose tables exist', async () => {
    const store = await openStore({ databaseUrl: database.url });
    try {
      await store.db.signer.create({
        data: {
          id: 'sgn_1',
          name: 'a',
          url: 'http://127.0.0.1:1',
          identityKey: '02aa',
          status: 'up',
        },
      });
      expect(await store.db.signer.count()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('lets two runners at once apply each migration exactly once', async () => {
    const target = parseDatabaseUrl(database.url);
    const results = await Promise.all([migrate(target), migrate(target), migrate(target)]);
    const appliedCount = results.reduce((n, r) => n + r.applied.length, 0);
    expect(appliedCount).toBe(loadMigrations(target.provider).length);
  });

  it('lets two processes at once apply each migration exactly once', async () => {
    const outputs = await Promise.all([
      runMigrateProcess(database.url),
      runMigrateProcess(database.url),
    ]);
    for (const out of outputs) expect(out.code).toBe(0);
    const applied = outputs.map((o) => JSON.parse(o.stdout).applied.length as number);
    expect(applied.reduce((a, b) => a + b, 0)).toBe(
      loadMigrations(parseDatabaseUrl(database.url).provider).length,
    );
  });

  it('refuses a database migrated by a newer version', async () => {
    const target = parseDatabaseUrl(database.url);
    await migrate(target);
    const session = await openSqlSession(target);
    await session.exclusive((tx) =>
      tx.run('INSERT INTO _custody_migrations (id, checksum, applied_at) VALUES ($1, $2, $3)', [
        '9999_from_the_future',
        'x',
        new Date().toISOString(),
      ]),
    );
    await session.close();
    await expect(migrate(target)).rejects.toThrow(
      /newer version \(unknown migration 9999_from_the_future\)/,
    );
    await expect(openStore({ databaseUrl: database.url })).rejects.toBeInstanceOf(MigrationError);
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const target = parseDatabaseUrl(database.url);
    await migrate(target);
    const edited = loadMigrations(target.provider).map((m, i) =>
      i === 0 ? { ...m, checksum: 'edited' } : m,
    );
    const session = await openSqlSession(target);
    try {
      await expect(runMigrations(session, edited)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await session.close();
    }
  });

  it('rolls back every pending migration when one fails', async () => {
    const target = parseDatabaseUrl(database.url);
    const broken = [
      ...loadMigrations(target.provider),
      {
        id: '9998_broken',
        sql: 'CREATE TABLE this_is_fine (x INTEGER); THIS IS NOT SQL;',
        checksum: 'c',
      },
    ];
    const session = await openSqlSession(target);
    try {
      await expect(runMigrations(session, broken)).rejects.toThrow();
      expect(await session.readApplied('_custody_migrations')).toEqual([]);
    } finally {
      await session.close();
    }
    expect((await migrate(target)).applied.length).toBeGreaterThan(0);
  });

  it('refuses to open a store with pending migrations when asked not to migrate', async () => {
    await expect(openStore({ databaseUrl: database.url, migrate: false })).rejects.toThrow(
      /pending migration/,
    );
  });
});

async function runMigrateProcess(databaseUrl: string) {
  return runCli(['migrate'], { DATABASE_URL: databaseUrl });
}

describe('SQLite durability', () => {
  it('opens every SQLite store with synchronous = FULL (commits survive a power cut)', async () => {
    const database = await createTestDatabase('sqlite');
    const store = await openStore({ databaseUrl: database.url });
    try {
      const [row] =
        await store.db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
      expect(Number(row?.synchronous)).toBe(2);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
