/**
 * The offline backend through the real `custody settle`: the operator registers the custody
 * outputs it saw confirmed, the pipeline ends at `exported` with the signed transaction and its
 * PSBT in the outbox, and the operator broadcasts them (here to a real litecoind, which accepts
 * and mines them). No chain view is ever invented: without a registered output nothing is built.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Litecoind, startLitecoind } from '../../../support/litecoind.ts';
import { coordinator, walletDestination } from './harness.ts';

let node: Litecoind;
beforeAll(async () => {
  node = await startLitecoind();
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

describe('offline settlement', () => {
  it('exports signed settlements to the outbox; each spends the registered custody output', {
    timeout: 300_000,
  }, async () => {
    const c = coordinator('frost', null);
    const first = await c.settle(['--until', 'idle']);
    const funding = await node.fund(first.custody.address, 5_000_000n);
    const payee = await walletDestination(node);
    const batch = await c.withdrawalBatch([{ scriptPubKey: payee.scriptPubKey, sats: 40_000n }]);

    const waiting = await c.settle(['--batch', batch, '--until', 'idle']);
    expect(waiting.settlement).toBeNull();
    expect(waiting.steps.at(-1)?.detail).toBe('the custody address holds no confirmed output yet');

    const bad = await c.settleRaw(['--register-output', 'not-an-outpoint']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
      /^custody: --register-output: expected TXID:VOUT:SATS/,
    );
    await c.settle(['--register-output', `${funding.txid}:${funding.vout}:5000000`]);

    const out = await c.settle(['--until', 'exported']);
    expect(out.settlement?.status).toBe('exported');
    const files = out.settlement?.exported as { txPath: string; psbtPath: string };
    expect(existsSync(files.txPath) && existsSync(files.psbtPath)).toBe(true);
    const raw = readFileSync(files.txPath, 'utf8').trim();
    const tx = Transaction.fromHex(raw);
    expect(tx.getId()).toBe(out.settlement?.txid);
    expect(Psbt.fromBase64(readFileSync(files.psbtPath, 'utf8').trim()).txInputs).toHaveLength(1);
    expect(
      Buffer.from(tx.ins[0]?.hash as Uint8Array)
        .reverse()
        .toString('hex'),
    ).toBe(funding.txid);

    // The operator broadcasts the exported bytes; the node accepts and mines them.
    const [accept] = await node.rpc<{ allowed: boolean; 'reject-reason'?: string }[]>(
      'testmempoolaccept',
      [[raw]],
    );
    expect(accept?.allowed, accept?.['reject-reason']).toBe(true);
    await node.rpc('sendrawtransaction', [raw]);
    await node.mine(1);

    // The next settlement waits for the operator to register the change it saw confirmed.
    const next = await c.withdrawalBatch([{ scriptPubKey: payee.scriptPubKey, sats: 30_000n }]);
    const stalled = await c.settle(['--batch', next, '--until', 'idle']);
    expect(stalled.settlement?.id).toBe(out.settlement?.id);
    await c.settle(['--register-output', `${tx.getId()}:0:${tx.outs[0]?.value}`]);
    const second = await c.settle(['--until', 'exported']);
    expect(second.settlement?.status).toBe('exported');
    const tx2 = Transaction.fromHex(
      readFileSync(String(second.settlement?.exported?.txPath), 'utf8').trim(),
    );
    expect(
      Buffer.from(tx2.ins[0]?.hash as Uint8Array)
        .reverse()
        .toString('hex'),
    ).toBe(tx.getId());
    const [accept2] = await node.rpc<{ allowed: boolean; 'reject-reason'?: string }[]>(
      'testmempoolaccept',
      [[tx2.toHex()]],
    );
    expect(accept2?.allowed, JSON.stringify(accept2)).toBe(true);
  });

  it('a settlement the custody cannot pay is held with its reason, nothing exported, reserves not covered', {
    timeout: 300_000,
  }, async () => {
    const c = coordinator('multisig-p2wsh', null);
    const first = await c.settle(['--until', 'idle']);
    const funding = await node.fund(first.custody.address, 30_000n);
    await c.settle(['--register-output', `${funding.txid}:${funding.vout}:30000`]);
    const payee = await walletDestination(node);
    const batch = await c.withdrawalBatch([{ scriptPubKey: payee.scriptPubKey, sats: 40_000n }]);
    const out = await c.settle(['--batch', batch, '--until', 'exported']);
    expect(out.settlement?.status).toBe('held');
    expect(out.settlement?.reason).toMatch(
      /^custody holds 30000 sats; paying the 1 oldest withdrawals needs \d+ sats/,
    );
    expect(out.settlement?.txid).toBeNull();
    expect(out.reserves).toMatchObject({
      custodySats: '30000',
      liabilitiesSats: '40000',
      surplusSats: '-10000',
      covered: false,
    });
    expect(
      existsSync(`${c.env.DATA_DIR}/outbox`) ? readdirSync(`${c.env.DATA_DIR}/outbox`) : [],
    ).toEqual([]);
  });
});
