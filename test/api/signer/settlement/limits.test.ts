/**
 * The daily payout limit, counted again by every signer from the settlements it signed itself:
 * over the limit it wants EXTRA_APPROVALS more treasurers, whatever the coordinator's database
 * says. Here the coordinator's own record is edited to `approved` with one approval of the two a
 * crossed limit needs, once for a settlement over the limit alone, once for one that crosses it
 * only with an earlier settlement's payouts (which the signers know from their own records).
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_PREFIXES, newId } from '../../../../src/shared/ids.ts';
import { type Started, startRest, until } from '../../coordinator/rest/support.ts';

const PAYEE = `0014${'6c'.repeat(20)}`;
const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
let s: Started;
beforeAll(async () => {
  s = await startRest({
    TREASURERS: `${alice.address},${bob.address}`,
    TREASURER_QUORUM: '1',
    DAILY_LIMIT_SATS: '50000',
    VELOCITY_LIMIT: '1',
    EXTRA_APPROVALS: '1',
  });
  await s.call('POST', '/v1/custody/outputs', {
    body: { txid: '6c'.repeat(32), vout: 0, valueSats: '5000000' },
  });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function pending(sats: bigint) {
  const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats }]);
  expect((await s.call('POST', '/v1/batches', { body: { txs } })).status).toBe(202);
  const r = await until(
    () => s.call('GET', '/v1/approvals'),
    (x) => x.body.items?.length > 0,
    60_000,
  );
  return r.body.items[0];
}

/** Alice's approval through the API, then the coordinator's database edited past the policy. */
async function forceApprovedWithOne(item: { settlementId: string; typedData: { approve: never } }) {
  const ok = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
    body: {
      decision: 'approve',
      address: alice.address,
      signature: await alice.signTypedData(item.typedData.approve),
    },
  });
  expect(ok.status).toBe(201);
  expect(ok.body.tally).toMatchObject({ satisfied: false, required: { treasurers: 2 } });
  const db = s.running.store.db;
  await db.settlement.update({ where: { id: item.settlementId }, data: { status: 'approved' } });
  s.running.kick();
  const failed = await until(
    () =>
      db.signingSession.findMany({ where: { settlementId: item.settlementId, status: 'failed' } }),
    (rows) => rows.length > 0,
    60_000,
  );
  return failed.map((r) => r.reason ?? '').join(' ');
}

async function addBob(item: { settlementId: string; typedData: { approve: never } }) {
  await s.running.store.db.approval.create({
    data: {
      id: newId(ID_PREFIXES.approval),
      settlementId: item.settlementId,
      approver: bob.address.toLowerCase(),
      role: 'treasurer',
      decision: 'approve',
      signature: await bob.signTypedData(item.typedData.approve),
      message: JSON.stringify(item.typedData.approve),
    },
  });
}

describe("a signer's own daily limit", () => {
  it('wants the extra approval over the limit, counting its own earlier settlements', {
    timeout: 240_000,
  }, async () => {
    const first = await pending(60_000n);
    // One settlement is within the velocity limit; its payouts alone are over the daily one.
    expect(await forceApprovedWithOne(first)).toMatch(
      /approvals: 1 of the 2 treasurer approvals this signer requires \(limits crossed: 60000 sats paid out in 24 hours \(limit 50000\)\)/,
    );
    // Bob's approval too: then the signers sign.
    await addBob(first);
    await s.running.store.db.settlement.update({
      where: { id: first.settlementId },
      data: { status: 'approved' },
    });
    s.running.kick();
    const exported = await until(
      () => s.call('GET', `/v1/settlements/${first.settlementId}`),
      (r) => r.body.status === 'exported',
      90_000,
    );
    expect(exported.body.txid).toMatch(/^[0-9a-f]{64}$/);
    await s.call('POST', '/v1/custody/outputs', {
      body: { txid: exported.body.txid, vout: 0, valueSats: exported.body.change.valueSats },
    });

    // 10,000 sats alone are under the limit; with the first settlement's 60,000 they are not.
    const second = await pending(10_000n);
    const reason = await forceApprovedWithOne(second);
    expect(reason).toMatch(
      /limits crossed: 2 settlements in 24 hours \(limit 1\); 70000 sats paid out/,
    );
    // Refused means unsigned: nothing was bound or released for it.
    const row = await s.running.store.db.settlement.findUniqueOrThrow({
      where: { id: second.settlementId },
    });
    expect(row.txid).toBeNull();
  });
});
