/**
 * A coordinator killed after its signers signed a settlement's first version but before it
 * recorded `signed` (the row still `signing`, with no txid of its own): on restart the signers'
 * newest settlement is that version, and the coordinator must know it as its own from the PSBT
 * it stored. (Found by the random-moment SIGKILL trials: the pipeline stopped with "its newest
 * settlement … is not one this coordinator made".)
 */
import { rmSync } from 'node:fs';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startRest, until } from '../rest/support.ts';

const PAYEE = `0014${'4e'.repeat(20)}`;
const treasurer = privateKeyToAccount(generatePrivateKey());
let s: Started;
beforeAll(async () => {
  s = await startRest({ CUSTODY_SCHEME: 'multisig-p2wsh', TREASURERS: treasurer.address });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

describe('signers in step after a restart mid-signing', () => {
  it("a first version its signers already signed is the coordinator's own, not a stranger", {
    timeout: 120_000,
  }, async () => {
    await s.call('POST', '/v1/custody/outputs', {
      body: { txid: '4e'.repeat(32), vout: 1, valueSats: '5000000' },
    });
    const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats: 60_000n }]);
    expect((await s.call('POST', '/v1/batches', { body: { txs } })).status).toBe(202);
    const pending = await until(
      () => s.call('GET', '/v1/approvals'),
      (r) => r.body.items?.length > 0,
    );
    const item = pending.body.items[0];
    const id = item.settlementId as string;
    const db = s.running.store.db;
    const unsigned = (await db.settlement.findUniqueOrThrow({ where: { id } })).psbt;
    const approved = await s.call('POST', `/v1/settlements/${id}/approvals`, {
      body: {
        decision: 'approve',
        address: treasurer.address,
        signature: await treasurer.signTypedData(item.typedData.approve),
      },
    });
    expect(approved.status).toBe(201);
    const first = await until(
      () => s.call('GET', `/v1/settlements/${id}`),
      (r) => ['exported', 'failed'].includes(r.body.status),
      90_000,
    );
    expect(first.body.status, first.body.reason).toBe('exported');

    // The state a kill leaves between the signers' signatures and the `signed` record: nothing
    // exported yet either (the signers asked again may be another two, so another witness).
    const row = await db.settlement.findUniqueOrThrow({ where: { id } });
    const files = JSON.parse(row.exported ?? '{}') as { txPath?: string; psbtPath?: string };
    for (const f of [files.txPath, files.psbtPath]) if (f) rmSync(f, { force: true });
    await db.settlement.update({
      where: { id },
      data: { status: 'signing', psbt: unsigned, txid: null, rawTx: null, exported: null },
    });
    s.running.kick();
    const again = await until(
      () => s.call('GET', `/v1/settlements/${id}`),
      (r) => ['exported', 'failed'].includes(r.body.status),
      90_000,
    );
    expect(again.body.status, again.body.reason).toBe('exported');
    expect(again.body.txid).toBe(first.body.txid);
  });
});
