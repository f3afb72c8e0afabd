/**
 * Two coordinators on one PostgreSQL database, each with its own world state: only the one
 * holding the pipeline lease (a session advisory lock) drives; when its session dies the other
 * takes the lease, catches its world state up from the database's records (every replayed batch
 * checked against its recorded root) and numbers the next batches after the last one. No batch
 * is numbered or executed twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSubmittedTxs } from '../../../src/api/coordinator/batch-intake.ts';
import {
  type BatchRunner,
  catchUp,
  executeSubmitted,
  recoverReceivedBatches,
  storeSubmitted,
} from '../../../src/api/coordinator/batches.ts';
import { type PipelineLease, pipelineLease } from '../../../src/api/coordinator/cron/lease.ts';
import {
  type NodeWorldState,
  nodeBlockSettings,
  openNodeWorldState,
} from '../../../src/api/coordinator/world-state.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { parseConfig } from '../../../src/shared/config.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import { newKey, signTx } from '../../execution/support/txs.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { fundedGenesis } from '../../support/genesis.ts';

const log = createLogger({ level: 'silent' });
const key = newKey();
let database: TestDatabase;
let tmp: string;
interface Node {
  store: Store;
  world: NodeWorldState;
  lease: PipelineLease;
}
const nodes: Node[] = [];

beforeAll(async () => {
  database = await createTestDatabase('postgresql');
  tmp = mkdtempSync(path.join(tmpdir(), 'two-coordinators-'));
  const genesis = fundedGenesis(tmp, key.address);
  for (const name of ['a', 'b']) {
    const config = parseConfig({
      DATA_DIR: path.join(tmp, name),
      DATABASE_URL: database.url,
      GENESIS_FILE: genesis,
    });
    const store = await openStore({ databaseUrl: database.url });
    nodes.push({
      store,
      world: await openNodeWorldState(config),
      lease: pipelineLease(store.target, log),
    });
  }
}, 60_000);

afterAll(async () => {
  for (const n of nodes) {
    await n.lease.release();
    await n.world.ws.close();
    await n.store.close();
  }
  await database?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

function runner(): BatchRunner {
  return {
    parse: (input) => parseBatch(input),
    // Sequential: the parallel executor's worker pool serves one world state per process, and
    // this process holds two.
    run: (batch, ws, commit) => runSequential(batch, { worldState: ws, commit }),
  };
}

/** What a cron tick of node `n` does with batches, if it holds the lease. */
async function tick(n: Node): Promise<boolean> {
  if (!(await n.lease.hold())) return false;
  const r = runner();
  await catchUp(n.store.db, n.world.ws, r);
  await recoverReceivedBatches(n.store.db, n.world.ws, r);
  await executeSubmitted(n.store.db, n.world.ws, r, {
    chainId: n.world.chainId,
    ...nodeBlockSettings({ genesisFile: undefined }),
  });
  return true;
}

let nonce = 0n;
async function submit(n: Node): Promise<string> {
  const txs = [signTx(key, { nonce: nonce++, to: key.address, value: 1n, maxFee: 7n, tip: 0n })];
  const checked = checkSubmittedTxs(txs, { chainId: 4242n, gasLimit: 1_000_000_000n });
  return (await storeSubmitted(n.store.db, checked.txs, 'test', undefined)).id;
}

async function numbers(): Promise<(number | null)[]> {
  const rows = await nodes[0]!.store.db.batch.findMany({ orderBy: { id: 'asc' } });
  return rows.map((r) => r.number);
}

describe('two coordinators on one PostgreSQL database', () => {
  it('one drives at a time; the other takes over after its session dies and catches up', {
    timeout: 120_000,
  }, async () => {
    const [a, b] = nodes as [Node, Node];
    expect(await a.lease.hold()).toBe(true);
    expect(await b.lease.hold()).toBe(false);

    for (let i = 0; i < 3; i++) await submit(i % 2 === 0 ? a : b);
    // Both tick; only the lease holder executes anything.
    expect(await Promise.all([tick(a), tick(b)])).toEqual([true, false]);
    expect(await numbers()).toEqual([1, 2, 3]);
    expect(b.world.ws.head().height).toBe(0);

    // A's database session dies (a crash, a network cut): its lock goes with it.
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    await admin.end();
    // The backend ends asynchronously after pg_terminate_backend answers; B, ticking, takes
    // the lock once it is free, and A, when it next ticks, finds it taken.
    const deadline = Date.now() + 10_000;
    while (!(await b.lease.hold()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await b.lease.hold()).toBe(true);
    expect(await a.lease.hold()).toBe(false);

    await submit(a);
    await submit(b);
    expect(await Promise.all([tick(a), tick(b)])).toEqual([false, true]);
    expect(await numbers()).toEqual([1, 2, 3, 4, 5]);
    // B replayed A's three batches before it numbered its own: one chain of roots.
    const rows = await b.store.db.batch.findMany({ orderBy: { number: 'asc' } });
    for (let i = 1; i < rows.length; i++) {
      expect(JSON.parse(rows[i]!.env!).preStateRoot).toBe(rows[i - 1]!.stateRoot);
    }
    expect(b.world.ws.head()).toMatchObject({ height: 5, root: rows[4]!.stateRoot });
  });

  it('refuses to drive with a world state that is not the database chain', async () => {
    const [, b] = nodes as [Node, Node];
    const db = b.store.db;
    const last = await db.batch.findFirstOrThrow({ orderBy: { number: 'desc' } });
    const recorded = last.stateRoot!;
    await db.batch.update({ where: { id: last.id }, data: { stateRoot: `0x${'ee'.repeat(32)}` } });
    await expect(catchUp(db, b.world.ws, runner())).rejects.toThrow(/the database recorded 0xee/);
    await db.batch.update({ where: { id: last.id }, data: { stateRoot: recorded } });
  });
});
