/**
 * What happens to a settlement after it leaves the coordinator, on litecoind regtest through the
 * real `custody settle` process: a fee bump by replacement when it waits too long, a reorg that
 * takes it out of its block, and a coordinator killed after each step that, restarted, finishes
 * each settlement once.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Transaction } from 'bitcoinjs-lib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { commitmentFromScript } from '../../../../src/settlement/commitment.ts';
import { createTestDatabase } from '../../../support/databases.ts';
import { type Litecoind, startLitecoind } from '../../../support/litecoind.ts';
import { type Coordinator, coordinator, walletDestination } from './harness.ts';

let node: Litecoind;
beforeAll(async () => {
  node = await startLitecoind();
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

async function funded(scheme: string, extra: Record<string, string> = {}): Promise<Coordinator> {
  const c = coordinator(scheme, node);
  Object.assign(c.env, extra);
  const first = await c.settle(['--until', 'idle']);
  await node.fund(first.custody.address, 10_000_000n);
  return c;
}

async function withdrawalBatch(c: Coordinator): Promise<string> {
  const payee = await walletDestination(node);
  return c.withdrawalBatch([{ scriptPubKey: payee.scriptPubKey, sats: 25_000n }]);
}

/** Rows of the coordinator's own database, SQLite or PostgreSQL (identifiers quoted for both). */
async function rows(c: Coordinator, sql: string): Promise<unknown[]> {
  const url = c.env.DATABASE_URL;
  if (url?.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(c.env.DATA_DIR as string, 'custody.db'), { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

async function mempool(): Promise<string[]> {
  return node.rpc<string[]>('getrawmempool');
}

/** From the mempool, or from its block (the node keeps no -txindex). */
async function tx(txid: string, blockHash?: string): Promise<Transaction> {
  const params = blockHash === undefined ? [txid] : [txid, false, blockHash];
  return Transaction.fromHex(await node.rpc<string>('getrawtransaction', params));
}

describe('settlement recovery on regtest', () => {
  it('a settlement that waits --bump-after blocks is replaced: same inputs, payouts and commitment, higher fee, then mined', {
    timeout: 300_000,
  }, async () => {
    const c = await funded('frost');
    const out = await c.settle(['--batch', await withdrawalBatch(c), '--until', 'broadcast']);
    const original = out.settlement?.txid as string;
    const a = await tx(original);
    // The miner leaves it out (a negative fee delta for block templates only): it stays waiting.
    await node.rpc('prioritisetransaction', [original, 0, -100_000_000]);
    await node.mine(3);
    expect(await mempool()).toContain(original);
    const bumped = await c.settle(['--until', 'broadcast', '--bump-after', '3']);
    const replacement = bumped.settlement?.txid as string;
    expect(replacement).not.toBe(original);
    expect(bumped.settlement?.replaced).toEqual([original]);
    expect(BigInt(bumped.settlement?.feeSats as string)).toBeGreaterThan(
      BigInt(out.settlement?.feeSats as string),
    );
    const pool = await mempool();
    expect(pool).toContain(replacement);
    expect(pool).not.toContain(original);
    const b = await tx(replacement);
    const spends = (t: Transaction) =>
      t.ins.map((i) => `${Buffer.from(i.hash).toString('hex')}:${i.index}:${i.sequence}`);
    expect(spends(b)).toEqual(spends(a));
    expect(b.outs.slice(1)).toEqual(a.outs.slice(1));
    const feeDelta = (a.outs[0]?.value as bigint) - (b.outs[0]?.value as bigint);
    expect(feeDelta).toBeGreaterThanOrEqual(BigInt(b.virtualSize())); // BIP125: ≥ 1 sat/vB × size
    await node.mine(1);
    const done = await c.settle(['--until', 'confirmed']);
    expect(done.settlement).toMatchObject({ status: 'confirmed', txid: replacement });
  });

  it('a reorg takes a settlement out of its block: it is tracked again as it was, never rebuilt', {
    timeout: 300_000,
  }, async () => {
    const c = await funded('multisig-p2wsh', { CONFIRMATIONS: '2' });
    const out = await c.settle(['--batch', await withdrawalBatch(c), '--until', 'broadcast']);
    const txid = out.settlement?.txid as string;
    const [block] = await node.mine(1);
    const seen = await c.settle([]);
    expect(seen.settlement).toMatchObject({
      status: 'broadcast',
      txid,
      confirmations: 1,
      blockHash: block,
    });
    await node.rpc('invalidateblock', [block]);
    const after = await c.settle([]);
    expect(after.steps.map((s) => s.detail)).toContain(`left block ${block}`);
    expect(after.settlement).toMatchObject({
      status: 'broadcast',
      txid,
      confirmations: 0,
      blockHash: null,
    });
    expect(await mempool()).toContain(txid);
    await node.mine(2);
    const done = await c.settle(['--until', 'confirmed']);
    expect(done.settlement).toMatchObject({ status: 'confirmed', txid, confirmations: 2 });
    const actions = (
      await rows(
        c,
        `SELECT "action" FROM "AuditEntry" WHERE "action" LIKE 'settlement.%' ORDER BY "seq"`,
      )
    ).map((r) => (r as { action: string }).action);
    expect(actions).toContain('settlement.reorged');
    expect(actions.filter((a) => a === 'settlement.signed')).toHaveLength(1);

    // A reorg deeper than CONFIRMATIONS: the confirmed settlement is reopened, not built past.
    await node.rpc('invalidateblock', [done.settlement?.blockHash]);
    const reopened = await c.settle([]);
    expect(reopened.steps.map((s) => s.detail)).toContain('its block left the chain');
    expect(reopened.settlement).toMatchObject({ status: 'broadcast', txid });
    await node.mine(2);
    const again = await c.settle(['--until', 'confirmed']);
    expect(again.settlement).toMatchObject({ status: 'confirmed', txid });
  });

  it.each([
    ['multisig-tapscript', 'sqlite'],
    ['frost', 'postgresql'],
  ] as const)(
    'a coordinator killed after each step and restarted completes each settlement once (%s, %s)',
    {
      timeout: 600_000,
    },
    async (scheme, database) => {
      const dbUrl = database === 'postgresql' ? await createTestDatabase('postgresql') : null;
      onTestFinished(async () => {
        await dbUrl?.drop();
      });
      const c = await funded(scheme, dbUrl === null ? {} : { DATABASE_URL: dbUrl.url });
      let previous: string | null = null;
      for (const [k, step] of [
        'proposed',
        'approved',
        'signed',
        'broadcast',
        'confirmed',
      ].entries()) {
        const batch = await withdrawalBatch(c);
        const fault = { CUSTODY_FAULT_EXIT_AFTER: step };
        let resumed: Awaited<ReturnType<Coordinator['settle']>>;
        if (step !== 'confirmed') {
          const crashed = await c.settleRaw(['--batch', batch, '--until', 'broadcast'], fault);
          expect(crashed.code, crashed.stderr).toBe(75);
          resumed = await c.settle(['--until', 'broadcast']);
        } else {
          resumed = await c.settle(['--batch', batch, '--until', 'broadcast']);
        }
        expect(resumed.settlement).toMatchObject({ status: 'broadcast', batchNumber: k + 1 });
        const txid = resumed.settlement?.txid as string;
        expect(await mempool()).toEqual([txid]);
        await node.mine(1);
        if (step === 'confirmed') {
          const crashed = await c.settleRaw(['--until', 'confirmed'], fault);
          expect(crashed.code, crashed.stderr).toBe(75);
        }
        const final = await c.settle(['--until', 'confirmed']);
        expect(final.settlement).toMatchObject({ status: 'confirmed', txid });
        const settled = await tx(txid, (final.settlement as { blockHash: string }).blockHash);
        if (previous !== null) {
          expect(
            Buffer.from(settled.ins[0]?.hash as Uint8Array)
              .reverse()
              .toString('hex'),
          ).toBe(previous);
        }
        previous = txid;
        // Exactly one settlement per batch and per custody output; every batch recorded once.
        expect(
          await rows(c, `SELECT "id" FROM "Settlement" WHERE "status" = 'confirmed'`),
        ).toHaveLength(k + 1);
        expect(await rows(c, `SELECT "id" FROM "Settlement"`)).toHaveLength(k + 1);
        expect(
          await rows(c, `SELECT "number" FROM "Batch" WHERE "status" = 'settled'`),
        ).toHaveLength(k + 1);
        expect((await mempool()).length).toBe(0);
      }
      const signed = await rows(
        c,
        `SELECT "subject" FROM "AuditEntry" WHERE "action" = 'settlement.signed'`,
      );
      expect(signed).toHaveLength(5);
    },
  );

  it('a coordinator killed between the world-state commit and the batch record finishes the batch once on restart', {
    timeout: 300_000,
  }, async () => {
    const c = await funded('frost');
    const root0 = await c.state();
    const batch = await withdrawalBatch(c);
    const crashed = await c.settleRaw(['--batch', batch, '--until', 'broadcast'], {
      CUSTODY_FAULT_EXIT_AFTER: 'batch-committed',
    });
    expect(crashed.code, crashed.stderr).toBe(75);
    expect(await c.state()).not.toBe(root0); // committed
    expect(await rows(c, `SELECT "status" FROM "Batch"`)).toEqual([{ status: 'received' }]);
    const resumed = await c.settle(['--until', 'broadcast']);
    expect(resumed.batches).toMatchObject([
      { number: 1, withdrawals: 1, stateRoot: await c.state() },
    ]);
    expect(resumed.settlement).toMatchObject({ status: 'broadcast', batchNumber: 1 });
    await node.mine(1);
    // The next batch's withdrawal follows on in the queue: nothing was lost or paid twice.
    const next = await c.settle(['--batch', await withdrawalBatch(c), '--until', 'broadcast']);
    const txid = next.settlement?.txid as string;
    const t = await tx(txid);
    expect(commitmentFromScript(t.outs[1]?.script as Uint8Array)).toMatchObject({
      batchNumber: 2n,
      firstWithdrawalIndex: 1n,
      withdrawalCount: 1,
    });
    expect(await rows(c, `SELECT "number", "status" FROM "Batch" ORDER BY "number"`)).toEqual([
      { number: 1, status: 'settled' },
      { number: 2, status: 'settling' },
    ]);
  });
});
