/**
 * Durable commits on PostgreSQL: a database whose default is synchronous_commit=off still gets
 * nonce-storing and share-releasing transactions committed with synchronous_commit=on (seen by
 * a trigger inside those very transactions), readiness says so, and fsync=off is refused.
 * fsync is a server-wide setting that cannot be changed for one test database, so its refusal
 * is checked on the verdict function the start-up check and readiness both use.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignerContext } from '../../../src/api/signer/context.ts';
import {
  durabilityCheck,
  postgresDurabilityVerdict,
  requireDurableCommits,
} from '../../../src/api/signer/durability.ts';
import { createCommitments, signShares } from '../../../src/api/signer/frost-service.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import { runFullDkg } from '../../custody/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { signerWithKey } from './in-process.ts';

async function sql(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL signer durability', () => {
  let database: TestDatabase;
  let store: Store;
  let ctx: SignerContext;
  const dkg = runFullDkg(2, 3);
  const keyId = 'k-durable';

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    const name = new URL(database.url).pathname.slice(1);
    // The database's default, for every session opened after this: commits not flushed.
    await sql(database.url, `ALTER DATABASE ${name} SET synchronous_commit = off`);
    store = await openStore({ databaseUrl: database.url });
    // What each write to a nonce row saw as its transaction's synchronous_commit.
    await sql(
      database.url,
      `CREATE TABLE seen_sync (op text, setting text);
       CREATE FUNCTION record_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO seen_sync VALUES (TG_OP, current_setting('synchronous_commit'));
         RETURN NEW;
       END $$;
       CREATE TRIGGER nonce_sync AFTER INSERT OR UPDATE ON "SignerNonce"
         FOR EACH ROW EXECUTE FUNCTION record_sync();`,
    );
    ctx = await signerWithKey(store.db, dkg, keyId);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('the database default really is synchronous_commit=off for the signer', async () => {
    const [row] =
      await store.db.$queryRawUnsafe<{ synchronous_commit: string }[]>('SHOW synchronous_commit');
    expect(row?.synchronous_commit).toBe('off');
  });

  it('PostgreSQL durability assumed: storing and releasing transactions commit with synchronous_commit=on', async () => {
    const [mine] = await createCommitments(ctx, keyId, 1);
    const other = runCommit({ share: dkg.results[1]!.share }).commitment;
    const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
    const [result] = await signShares(ctx, key, [
      {
        nonceId: mine!.nonceId,
        sessionId: 'durable-1',
        proposalId: 'durable-1',
        message: new Uint8Array(32).fill(4),
        commitments: [mine!.commitment, other].sort((a, b) =>
          a.identifier < b.identifier ? -1 : 1,
        ),
      },
    ]);
    expect(result).toHaveProperty('signatureShare');
    const seen = await sql(database.url, 'SELECT op, setting FROM seen_sync');
    expect(seen).toEqual([
      { op: 'INSERT', setting: 'on' },
      { op: 'UPDATE', setting: 'on' },
    ]);
  });

  it('start-up accepts it with a warning, and readiness reports both settings', async () => {
    const durability = await requireDurableCommits(store);
    expect(durability.detail).toMatch(/^fsync=on, synchronous_commit=off \(/);
    expect(durability.warning).toMatch(/synchronous_commit is off/);
    expect(await durabilityCheck(store).check()).toEqual({
      ok: true,
      detail:
        'fsync=on, synchronous_commit=off (nonce and release transactions set synchronous_commit=on)',
    });
  });

  it('fsync=off is refused: a crash could undo a nonce mark whatever the transaction sets', () => {
    expect(postgresDurabilityVerdict({ fsync: 'off', synchronousCommit: 'on' })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^fsync=off, synchronous_commit=on: /),
    });
    expect(postgresDurabilityVerdict({ fsync: 'on', synchronousCommit: 'on' })).toEqual({
      ok: true,
      detail: 'fsync=on, synchronous_commit=on',
    });
  });
});
