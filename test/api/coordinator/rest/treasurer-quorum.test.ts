/**
 * Two configured treasurers, quorum 2: the coordinator waits for both EIP-712 approvals, refuses
 * an address that is not a treasurer, and every signer counts the quorum again itself: a
 * coordinator whose database was edited to skip an approval gets no signature.
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWithLocalSigners } from '../../../../src/api/coordinator/local-signer-records.ts';
import { custodyTypeOf, registerOutput } from '../../../../src/api/coordinator/settlement/open.ts';
import { ID_PREFIXES, newId } from '../../../../src/shared/ids.ts';
import { createLogger } from '../../../../src/shared/logger.ts';
import { runCli } from '../../../support/cli.ts';
import { type Started, startRest, until } from './support.ts';

const PAYEE = `0014${'cd'.repeat(20)}`;
const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
let s: Started;
beforeAll(async () => {
  s = await startRest({
    TREASURERS: `${alice.address},${bob.address}`,
    TREASURER_QUORUM: '2',
  });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function pendingSettlement() {
  const type = custodyTypeOf(s.running.custody);
  registerOutput(s.config.dataDir, `${'22'.repeat(32)}:1:5000000`, type);
  await registerWithLocalSigners({
    config: s.config,
    custody: s.running.custody,
    log: createLogger({ level: 'silent' }),
  });
  const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats: 60_000n }]);
  expect((await s.call('POST', '/v1/batches', { body: { txs } })).status).toBe(202);
  const pending = await until(
    () => s.call('GET', '/v1/approvals'),
    (r) => r.body.items?.length > 0,
  );
  return pending.body.items[0];
}

describe('a treasurer quorum of 2', () => {
  it('waits for both treasurers; a signer refuses when the coordinator skips one', {
    timeout: 120_000,
  }, async () => {
    const item = await pendingSettlement();
    expect(item.tally.required.treasurers).toBe(2);
    const url = `/v1/settlements/${item.settlementId}/approvals`;

    const mallory = privateKeyToAccount(generatePrivateKey());
    const byMallory = await s.call('POST', url, {
      body: {
        decision: 'approve',
        address: mallory.address,
        signature: await mallory.signTypedData(item.typedData.approve),
      },
    });
    expect(byMallory.status).toBe(403);
    expect(byMallory.body.detail).toMatch(/not a configured treasurer/);

    const byAlice = await s.call('POST', url, {
      body: {
        decision: 'approve',
        address: alice.address,
        signature: await alice.signTypedData(item.typedData.approve),
      },
    });
    expect(byAlice.status).toBe(201);
    expect(byAlice.body.tally.satisfied).toBe(false);
    s.running.kick();
    await new Promise((r) => setTimeout(r, 1500));
    const stillWaiting = await s.call('GET', `/v1/settlements/${item.settlementId}`);
    expect(stillWaiting.body.status).toBe('proposed');

    // The coordinator's own database edited: approved with one approval of two.
    const db = s.running.store.db;
    await db.settlement.update({ where: { id: item.settlementId }, data: { status: 'approved' } });
    s.running.kick();
    const refused = await until(
      () => db.signingSession.findMany({ where: { status: 'failed' } }),
      (rows) => rows.some((r) => r.status === 'failed'),
      60_000,
    );
    const reasons = refused.map((r) => r.reason ?? '').join(' ');
    expect(reasons).toMatch(/approvals: 1 of the 2 treasurer approvals this signer requires/);
    expect((await s.call('GET', `/v1/settlements/${item.settlementId}`)).body.txid).toBeNull();

    // Bob's real approval (recorded directly: the route takes decisions only while proposed).
    await db.approval.create({
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
    s.running.kick();
    const exported = await until(
      () => s.call('GET', `/v1/settlements/${item.settlementId}`),
      (r) => r.body.status === 'exported',
      90_000,
    );
    expect(exported.body.txid).toMatch(/^[0-9a-f]{64}$/);

    // `custody audit verify` checks every recorded approval signature again.
    const env = { DATABASE_URL: s.config.databaseUrl };
    const good = await runCli(['audit', 'verify'], env);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).approvals).toMatchObject({ checked: 2, problems: [] });
    await db.approval.updateMany({
      where: { approver: bob.address.toLowerCase() },
      data: { approver: mallory.address.toLowerCase() },
    });
    const bad = await runCli(['audit', 'verify'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/1 recorded approval\(s\) failed verification: apr_\w+ \(/);
  });
});
