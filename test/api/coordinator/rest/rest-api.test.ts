/**
 * The coordinator's REST API on the embedded default (SQLite, three local signer processes,
 * offline backend): keys and scopes, a batch from POST to executed, validation before storing,
 * idempotency, pagination rules, a settlement approved by an EIP-712 treasurer signature and
 * exported, and the pipeline metrics.
 */

import { createHash } from 'node:crypto';
import { address as btcAddress, networks } from 'bitcoinjs-lib';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTx } from '../../../execution/support/txs.ts';
import { BOOTSTRAP, type Started, startRest, until } from './support.ts';

const PAYEE = `0014${'ab'.repeat(20)}`;
let s: Started;
beforeAll(async () => {
  s = await startRest();
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function batchCount(): Promise<number> {
  return s.running.store.db.batch.count();
}

describe('REST API keys and scopes', () => {
  it('refuses a missing, malformed, unknown or revoked key with 401 problem+json', async () => {
    for (const token of [null, 'not a token', 'ck_unknownunknownunknownunknown']) {
      const r = await s.call('GET', '/v1/batches', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({
        status: 401,
        type: 'urn:rollup-custody:problem:unauthorized',
      });
    }
    const made = await s.call('POST', '/v1/api-keys', {
      body: { name: 'seq', scopes: ['sequencer'] },
    });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^ck_/);
    expect((await s.call('GET', '/v1/batches', { token: made.body.token })).status).toBe(200);
    const revoked = await s.call('DELETE', `/v1/api-keys/${made.body.id}`);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await s.call('GET', '/v1/batches', { token: made.body.token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
  });

  it('gives a key only its scopes: a sequencer cannot create keys or approve', async () => {
    const seq = (
      await s.call('POST', '/v1/api-keys', { body: { name: 'q', scopes: ['sequencer'] } })
    ).body.token as string;
    const r = await s.call('POST', '/v1/api-keys', {
      token: seq,
      body: { name: 'x', scopes: ['admin'] },
    });
    expect(r.status).toBe(403);
    expect((await s.call('GET', '/v1/approvals', { token: seq })).status).toBe(403);
  });

  it('stores only the hash of a key; the token appears in no table', async () => {
    const headers = { 'idempotency-key': 'make-h' };
    const body = { name: 'h', scopes: ['treasurer'] };
    const made = await s.call('POST', '/v1/api-keys', { body, headers });
    const db = s.running.store.db;
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: made.body.id } });
    expect(row.keyHash).toBe(createHash('sha256').update(made.body.token).digest('hex'));
    // A replay names the key made but not its token, which is kept nowhere.
    const replay = await s.call('POST', '/v1/api-keys', { body, headers });
    expect(replay.body).toMatchObject({ id: made.body.id });
    expect(replay.body.token).toBeUndefined();
    const dump = JSON.stringify([
      await db.auditEntry.findMany(),
      await db.idempotencyRecord.findMany(),
      await db.apiKey.findMany(),
    ]);
    expect(dump).not.toContain(made.body.token);
  });

  it('limits each key to its own rate', async () => {
    const slow = (
      await s.call('POST', '/v1/api-keys', {
        body: { name: 'slow', scopes: ['sequencer'], rateLimitPerMinute: 3 },
      })
    ).body.token as string;
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await s.call('GET', '/v1/batches', { token: slow })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Another key is not slowed by it.
    expect((await s.call('GET', '/v1/batches')).status).toBe(200);
  });
});

describe('POST /v1/batches', () => {
  it('refuses bad batches before storing anything, Idempotency-Key or not', async () => {
    const before = await batchCount();
    const keysBefore = await s.running.store.db.idempotencyRecord.count();
    const cases: [unknown, RegExp][] = [
      [{ txs: [] }, /at least one/],
      [{ txs: ['0xzz'] }, /txs\.0/],
      [{ txs: ['0x'] }, /txs\.0/],
      [{ txs: ['0xc0'] }, /txs\.0: undecodable/],
      [{ txs: [signTx(s.key, { nonce: 0n, to: s.key.address, chainId: 1n })] }, /txs\.0: .*chain/i],
      [{ txs: [signTx(s.key, { nonce: 0n, type: 0, unprotected: true })] }, /EIP-155/],
      [{ txs: 'nope' }, /body\.txs/],
      [{ txs: [], extra: 1 }, /body/],
    ];
    for (const [body, detail] of cases) {
      const variants: Record<string, string>[] = [
        {},
        { 'idempotency-key': `bad-${JSON.stringify(body).length}` },
      ];
      for (const headers of variants) {
        const r = await s.call('POST', '/v1/batches', { body, headers });
        expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(r.body.detail).toMatch(detail);
      }
    }
    expect((await s.call('POST', '/v1/batches', { body: '{"txs": [' })).status).toBe(400);
    expect(
      (
        await s.call('POST', '/v1/batches', {
          body: 'x',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect(await batchCount()).toBe(before);
    expect(await s.running.store.db.idempotencyRecord.count()).toBe(keysBefore);
  });

  it('accepts a batch (202), executes it with the next number, and replays an idempotent retry', async () => {
    const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats: 50_000n }]);
    const headers = { 'idempotency-key': 'batch-one' };
    const r = await s.call('POST', '/v1/batches', { body: { txs }, headers });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ id: expect.stringMatching(/^bat_/), status: 'received' });
    const again = await s.call('POST', '/v1/batches', { body: { txs }, headers });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(r.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await s.call('POST', '/v1/batches', {
      body: { txs: txs.slice(0, 1).concat(txs) },
      headers,
    });
    expect(other.status).toBe(409);

    const done = await until(
      () => s.call('GET', `/v1/batches/${r.body.id}`),
      (b) => b.body.status !== 'received',
    );
    expect(done.body).toMatchObject({ number: 1, txCount: 1 });
    expect(['executed', 'settling']).toContain(done.body.status);
    expect(done.body.withdrawals).toHaveLength(1);
    expect(done.body.stateRoot).toBe(s.running.worldState.ws.head().root);
  });

  it('rejects a batch the executor refuses and gives its number back', async () => {
    // A nonce far ahead: valid alone, refused on the state.
    const txs = [signTx(s.key, { nonce: 99n, to: s.key.address, maxFee: 7n, tip: 0n })];
    const r = await s.call('POST', '/v1/batches', { body: { txs } });
    expect(r.status).toBe(202);
    const done = await until(
      () => s.call('GET', `/v1/batches/${r.body.id}`),
      (b) => b.body.status !== 'received',
    );
    expect(done.body.status).toBe('rejected');
    expect(done.body.number).toBeNull();
    expect(done.body.reason).toMatch(/nonce/);
  });
});

describe('reads', () => {
  it('pages with limit 1..100 and a cursor, refusing anything else', async () => {
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=1&limit=2',
      'cursor=bat_x',
      'x=1',
    ]) {
      const r = await s.call('GET', `/v1/batches?${q}`);
      expect(r.status, q).toBe(400);
    }
    const first = await s.call('GET', '/v1/batches?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.next).toBe(first.body.items[0].id);
    const second = await s.call('GET', `/v1/batches?limit=1&cursor=${first.body.next}`);
    expect(second.body.items[0].id < first.body.items[0].id).toBe(true);
  });

  it('answers a malformed id 400 and an unknown one 404, NUL bytes included', async () => {
    expect((await s.call('GET', '/v1/batches/nope')).status).toBe(400);
    expect((await s.call('GET', '/v1/batches/bat_%00')).status).toBe(400);
    expect((await s.call('GET', `/v1/batches/bat_${'0'.repeat(26)}`)).status).toBe(404);
    expect((await s.call('GET', `/v1/settlements/stl_${'0'.repeat(26)}`)).status).toBe(404);
  });

  it('describes every /v1 route in /openapi.json', async () => {
    const doc = (await s.call('GET', '/openapi.json', { token: null })).body;
    for (const p of [
      '/v1/batches',
      '/v1/batches/{id}',
      '/v1/settlements',
      '/v1/settlements/{id}',
      '/v1/settlements/{id}/psbt',
      '/v1/settlements/{id}/approvals',
      '/v1/settlements/{id}/signatures',
      '/v1/custody/outputs',
      '/v1/approvals',
      '/v1/custody',
      '/v1/signers',
      '/v1/audit',
      '/v1/api-keys',
      '/v1/settlements/{id}/transaction',
      '/v1/session',
      '/auth/siwe',
      '/auth/siwe/nonce',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });

  it('reports the signers from their own answers', async () => {
    const r = await s.call('GET', '/v1/signers');
    expect(r.body.items).toHaveLength(3);
    for (const item of r.body.items)
      expect(item).toMatchObject({ reachable: true, holdsKey: true });
  });
});

describe('a settlement through approvals', () => {
  it('waits for a treasurer, takes an EIP-712 approval, and exports the signed settlement', {
    timeout: 120_000,
  }, async () => {
    const registered = await s.call('POST', '/v1/custody/outputs', {
      body: { txid: '11'.repeat(32), vout: 0, valueSats: '5000000' },
    });
    expect(registered.status).toBe(201);
    const custodyNow = await s.call('GET', '/v1/custody');
    // The output is the custody's until a settlement spends it (the cron may already have).
    expect(custodyNow.body.scheme).toBe('frost');
    expect(custodyNow.body.descriptor).toMatch(/^(raw)?tr\(.+\)#[a-z0-9]{8}$/);
    const again = await s.call('POST', '/v1/custody/outputs', {
      body: { txid: 'zz', vout: 0, valueSats: '1' },
    });
    expect(again.status).toBe(400);
    s.running.kick();
    const pending = await until(
      () => s.call('GET', '/v1/approvals'),
      (r) => r.body.items?.length > 0,
    );
    const item = pending.body.items[0];
    expect(item.tally).toMatchObject({ satisfied: false, required: { treasurers: 1 } });
    // Not published yet: no transaction to show.
    const early = await s.call('GET', `/v1/settlements/${item.settlementId}/transaction`);
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/is proposed: its transaction is published once broadcast/);
    expect(item.development).toBe(true);

    const account = privateKeyToAccount(generatePrivateKey());
    const forged = await account.signTypedData({
      ...item.typedData.approve,
      message: { ...item.typedData.approve.message, commitment: `0x${'00'.repeat(64)}` },
    });
    const address = account.address;
    const bad = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      body: { decision: 'approve', signature: forged, address },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/not 0x[0-9a-fA-F]{40}'s signature/);
    const rejectSigned = await account.signTypedData(item.typedData.reject);
    const swapped = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      body: { decision: 'approve', signature: rejectSigned, address },
    });
    expect(swapped.status).toBe(400);

    const signature = await account.signTypedData(item.typedData.approve);
    const ok = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      body: { decision: 'approve', signature, address },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.tally.approvedBy.treasurers).toEqual([account.address.toLowerCase()]);
    const twice = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      body: { decision: 'approve', signature, address },
    });
    expect(twice.status).toBe(409);

    const exported = await until(
      () => s.call('GET', `/v1/settlements/${item.settlementId}`),
      (r) => r.body.status === 'exported' || r.body.status === 'failed',
      90_000,
    );
    expect(exported.body).toMatchObject({ status: 'exported', txid: expect.any(String) });
    expect(exported.body.payouts).toEqual([
      {
        scriptPubKey: `0x${PAYEE}`,
        address: btcAddress.fromOutputScript(Buffer.from(PAYEE, 'hex'), networks.regtest),
        valueSats: '50000',
      },
    ]);
    // The exported transaction, decoded from its bytes.
    const decoded = await s.call('GET', `/v1/settlements/${item.settlementId}/transaction`);
    expect(decoded.status).toBe(200);
    expect(decoded.body).toMatchObject({ txid: exported.body.txid, hex: exported.body.rawTx });
    expect(decoded.body.outputs.map((o: { type: string }) => o.type)).toEqual([
      expect.stringMatching(/^p2(tr|wsh)$/),
      'nulldata',
      'p2wpkh',
    ]);
    expect(decoded.body.outputs[2]).toMatchObject({ scriptPubKey: PAYEE, valueSats: '50000' });
    expect(decoded.body.vsizeVbytes).toBeLessThan(decoded.body.sizeBytes);
    const psbt = await fetch(`${s.running.url}/v1/settlements/${item.settlementId}/psbt`, {
      headers: { authorization: `Bearer ${BOOTSTRAP}` },
    });
    expect(psbt.headers.get('content-type')).toBe('application/octet-stream');
    expect(
      Buffer.from(await psbt.arrayBuffer())
        .subarray(0, 5)
        .toString('latin1'),
    ).toBe('psbt\xff');

    const metrics = await (await fetch(`${s.running.url}/metrics`)).text();
    expect(metrics).toMatch(/custody_settlements\{status="exported"\} 1/);
    expect(metrics).toMatch(/custody_batches_submitted_total \d/);
  });
});
