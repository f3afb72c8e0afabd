/**
 * Five settlements in a row on litecoind regtest for each custody scheme, driven by the real
 * `custody settle` process with its signer processes: each spends the previous custody output,
 * pays its batch's withdrawals, commits its batch's state root, and is mined.
 */
import { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { commitmentFromScript } from '../../../../src/settlement/commitment.ts';
import { createTestDatabase } from '../../../support/databases.ts';
import { type Litecoind, startLitecoind } from '../../../support/litecoind.ts';
import { coordinator, localSignerRecords, walletDestination } from './harness.ts';

let node: Litecoind;
beforeAll(async () => {
  node = await startLitecoind();
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

async function rawTx(txid: string, blockHash: string): Promise<Transaction> {
  const hex = await node.rpc<string>('getrawtransaction', [txid, false, blockHash]);
  return Transaction.fromHex(hex);
}

// The coordinator's database: SQLite (the default) for two schemes, PostgreSQL for one.
const CASES = [
  ['frost', 'sqlite'],
  ['multisig-p2wsh', 'postgresql'],
  ['multisig-tapscript', 'sqlite'],
] as const;

for (const [scheme, database] of CASES) {
  describe(`settlement chain: ${scheme} (${database})`, () => {
    it('five settlements, each spending the last custody output, withdrawals paid, mined', {
      timeout: 600_000,
    }, async () => {
      const c = coordinator(scheme, node);
      const db = database === 'postgresql' ? await createTestDatabase('postgresql') : null;
      if (db !== null) c.env.DATABASE_URL = db.url;
      onTestFinished(async () => {
        await db?.drop();
      });
      const first = await c.settle(['--until', 'idle']);
      expect(first.settlement).toBeNull();
      expect(first.custody.address).toMatch(/^rltc1p|^rltc1q/);
      await node.fund(first.custody.address, 20_000_000n);

      let previous: { txid: string; blockHash: string } | null = null;
      const roots: string[] = [];
      const txids: string[] = [];
      let nextIndex = 0n;
      for (let k = 1; k <= 5; k++) {
        if (k === 3) await node.fund(first.custody.address, 1_000_000n); // a top-up joins as input 1
        const payees = [await walletDestination(node), await walletDestination(node)];
        const amounts = [100_000n + BigInt(k), 50_000n];
        const batch = await c.withdrawalBatch(
          payees.map((p, i) => ({ scriptPubKey: p.scriptPubKey, sats: amounts[i] as bigint })),
        );
        const out = await c.settle(['--batch', batch, '--until', 'broadcast']);
        expect(out.batches).toHaveLength(1);
        expect(out.batches[0]?.withdrawals).toBe(2);
        const s = out.settlement;
        expect(s?.status, JSON.stringify(out.steps)).toBe('broadcast');
        const txid = s?.txid as string;
        expect(await node.rpc('getmempoolentry', [txid])).toBeTruthy();
        const [blockHash] = await node.mine(1);
        const tx = await rawTx(txid, blockHash as string);

        // Input 0 is the previous settlement's custody output; a top-up comes after it.
        const spent = tx.ins.map(
          (i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`,
        );
        if (previous !== null) expect(spent[0]).toBe(`${previous.txid}:0`);
        expect(tx.ins).toHaveLength(k === 3 ? 2 : 1);
        expect(Buffer.from(tx.outs[0]?.script as Uint8Array).toString('hex')).toBe(
          first.custody.scriptPubKey,
        );
        const commitment = commitmentFromScript(tx.outs[1]?.script as Uint8Array);
        expect(commitment).toMatchObject({
          chainId: 4242n,
          batchNumber: BigInt(k),
          stateRoot: out.batches[0]?.stateRoot,
          firstWithdrawalIndex: nextIndex,
          withdrawalCount: 2,
        });
        nextIndex += 2n;
        payees.forEach((p, i) => {
          expect(Buffer.from(tx.outs[2 + i]?.script as Uint8Array).toString('hex')).toBe(
            p.scriptPubKey,
          );
          expect(tx.outs[2 + i]?.value).toBe(amounts[i]);
        });
        previous = { txid, blockHash: blockHash as string };
        roots.push(out.batches[0]?.stateRoot as string);
        txids.push(txid);
      }
      const done = await c.settle(['--until', 'confirmed']);
      expect(done.settlement).toMatchObject({
        status: 'confirmed',
        txid: previous?.txid,
        batchNumber: 5,
      });
      // Ten withdrawals paid, none owed; the custody keeps the funding minus payouts and fees.
      expect(done.reserves).toMatchObject({
        liabilitiesSats: '0',
        pendingWithdrawals: 0,
        covered: true,
      });
      const again = await c.settle(['--until', 'idle']);
      expect(again.steps.at(-1)?.detail).toBe('no executed batch waits for settlement');

      // Every signer verified the five batches itself (with the coordinator's access lists)
      // and arrived at the same roots; a threshold of them signed each settlement it rebuilt.
      const records = await localSignerRecords(c);
      for (const r of records) {
        expect(
          r.batches.map((b) => b.stateRoot),
          r.name,
        ).toEqual(roots);
        expect(new Set(r.batches.map((b) => b.checkedBy)), r.name).toEqual(
          new Set(['access-list']),
        );
        expect(r.audit.filter((a) => a === 'rollup.batch.verified')).toHaveLength(5);
      }
      for (const txid of txids) {
        const signers = records.filter((r) => r.settlements.some((s) => s.txid === txid));
        expect(signers.length, txid).toBeGreaterThanOrEqual(2);
      }
      // A signer a FROST session left out learned each settlement from its signed transaction
      // (rebuilt, signatures checked) before the next: every one knows settlements 1 to 4.
      for (const r of records) {
        for (const txid of txids.slice(0, 4)) {
          expect(
            r.settlements.map((s) => s.txid),
            r.name,
          ).toContain(txid);
        }
      }
      for (const r of records) {
        for (const s of r.settlements) expect(txids).toContain(s.txid);
      }
    });
  });
}
