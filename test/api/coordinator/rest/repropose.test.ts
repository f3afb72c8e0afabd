/**
 * A settlement the treasurers rejected fails and stops the pipeline for an operator; the
 * operator's `POST /v1/settlements/{id}/repropose` resolves it, and the same batch is proposed
 * again under a new id that needs new approvals. A settlement that was signed cannot be: its
 * custody output is bound to it at the signers.
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonAnswer } from '../../../support/custody-start.ts';
import { type Started, startRest, until } from './support.ts';

const PAYEE = `0014${'7d'.repeat(20)}`;
const alice = privateKeyToAccount(generatePrivateKey());
let s: Started;
beforeAll(async () => {
  s = await startRest({ TREASURERS: alice.address });
  await s.call('POST', '/v1/custody/outputs', {
    body: { txid: '7d'.repeat(32), vout: 0, valueSats: '5000000' },
  });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function decide(item: JsonAnswer, decision: 'approve' | 'reject') {
  return s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
    body: {
      decision,
      address: alice.address,
      signature: await alice.signTypedData(item.typedData[decision]),
      ...(decision === 'reject' ? { reason: 'payee not verified yet' } : {}),
    },
  });
}

const pendingOtherThan = (id: string | undefined) =>
  until(
    () => s.call('GET', '/v1/approvals'),
    (r) => r.body.items?.some((i: { settlementId: string }) => i.settlementId !== id),
    60_000,
  ).then((r) => r.body.items.find((i: { settlementId: string }) => i.settlementId !== id));

describe('re-proposing a rejected settlement', () => {
  it('resolves it, proposes its batch again, and refuses a signed one', {
    timeout: 180_000,
  }, async () => {
    const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats: 40_000n }]);
    const batch = await s.call('POST', '/v1/batches', { body: { txs } });
    const first = await pendingOtherThan(undefined);
    expect((await decide(first, 'reject')).status).toBe(201);
    const failed = await until(
      () => s.call('GET', `/v1/settlements/${first.settlementId}`),
      (r) => r.body.status === 'failed',
    );
    expect(failed.body.reason).toMatch(/payee not verified yet/);

    const url = `/v1/settlements/${first.settlementId}/repropose`;
    expect((await s.call('POST', url, { body: {} })).status).toBe(400);
    // A signing session that failed may have released signatures: refused while one exists.
    const db = s.running.store.db;
    await db.signingSession.create({
      data: {
        id: 'ses_test',
        settlementId: first.settlementId,
        scheme: 'frost',
        messageHash: '00',
        status: 'failed',
        participants: '[]',
      },
    });
    const asked = await s.call('POST', url, { body: { reason: 'x' } });
    expect(asked.status).toBe(409);
    expect(asked.body.detail).toMatch(/was signed or asked to sign/);
    await db.signingSession.delete({ where: { id: 'ses_test' } });
    const resolved = await s.call('POST', url, { body: { reason: 'payee verified by phone' } });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.resolvedAt).not.toBeNull();
    expect(resolved.body.reason).toMatch(/resolved by bootstrap: payee verified by phone/);
    expect((await s.call('POST', url, { body: { reason: 'again' } })).status).toBe(409);

    const second = await pendingOtherThan(first.settlementId);
    expect(second.settlementId).not.toBe(first.settlementId);
    const again = await s.call('GET', `/v1/settlements/${second.settlementId}`);
    expect(again.body.batchIds).toEqual([batch.body.id]);
    expect((await decide(second, 'approve')).status).toBe(201);
    const exported = await until(
      () => s.call('GET', `/v1/settlements/${second.settlementId}`),
      (r) => ['exported', 'failed'].includes(r.body.status),
      90_000,
    );
    expect(exported.body.status, exported.body.reason).toBe('exported');

    // Signed, then failed (as if the node refused it): not re-proposable.
    await s.running.store.db.settlement.update({
      where: { id: second.settlementId },
      data: { status: 'failed', reason: 'the node refused it' },
    });
    const refused = await s.call('POST', `/v1/settlements/${second.settlementId}/repropose`, {
      body: { reason: 'try again' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/was signed or asked to sign/);
    const institution = await s.call('POST', '/v1/api-keys', {
      body: { name: 'inst', scopes: ['institution'] },
    });
    const forbidden = await s.call('POST', url, {
      token: institution.body.token,
      body: { reason: 'x' },
    });
    expect(forbidden.status).toBe(403);
  });
});
