/**
 * The product end to end on `litecoind -regtest`, from the real `custody start` process: the
 * custody address funded from `GET /v1/custody`, a batch with withdrawals submitted over REST,
 * a treasurer's EIP-712 approval over REST, 2-of-3 signing by the signer processes (each
 * verifying the batch in its own rollup), broadcast, mined, `confirmed`; then a second batch
 * whose settlement spends the first one's custody output. For FROST, P2WSH and tapscript.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transaction } from 'bitcoinjs-lib';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ADDRESS } from '../../../../src/execution/bridge/artifact.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../execution/bridge/harness.ts';
import { newKey, signTx } from '../../../execution/support/txs.ts';
import { restClient, startCustody, until } from '../../../support/custody-start.ts';
import { fundedGenesis } from '../../../support/genesis.ts';
import { type Litecoind, startLitecoind } from '../../../support/litecoind.ts';

const BOOTSTRAP = 'e2e-bootstrap-key-0123456789abcdef';
let node: Litecoind;
const dirs: string[] = [];
beforeAll(async () => {
  node = await startLitecoind();
}, 120_000);
afterAll(async () => {
  await node?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The e2e waits up to 90 s a step (three signer processes on two cores). */
const waitFor = <T>(read: () => Promise<T>, done: (v: T) => boolean) =>
  until(read, done, 90_000, 200);

async function payee(): Promise<{ address: string; scriptPubKey: string }> {
  const address = await node.newAddress();
  const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [address], 'test');
  return { address, scriptPubKey: info.scriptPubKey };
}

describe.each(['frost', 'multisig-p2wsh', 'multisig-tapscript'])(
  'custody start on regtest (%s)',
  (scheme) => {
    it('settles two REST batches with treasurer approvals; the second spends the first custody output', {
      timeout: 300_000,
    }, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), `custody-e2e-${scheme}-`));
      dirs.push(dir);
      const key = newKey();
      const treasurer = privateKeyToAccount(generatePrivateKey());
      const genesis = fundedGenesis(dir, key.address);
      const proc = await startCustody({
        DATA_DIR: path.join(dir, 'data'),
        PORT: '0',
        CUSTODY_SCHEME: scheme,
        BITCOIN_NETWORK: 'litecoin-regtest',
        BITCOIN_RPC_URL: node.rpcUrl,
        GENESIS_FILE: genesis,
        CONFIRMATIONS: '1',
        SETTLE_INTERVAL_MS: '1000',
        BOOTSTRAP_API_KEY: BOOTSTRAP,
        TREASURERS: treasurer.address,
        // Every request is in the access log at info: the keys must not be.
        LOG_LEVEL: 'info',
      });
      try {
        const api = restClient(proc.url, BOOTSTRAP);
        const custody = await waitFor(
          () => api('GET', '/v1/custody'),
          (r) => r.status === 200,
        );
        expect(custody.body.scheme).toBe(scheme);
        await node.fund(custody.body.address, 5_000_000n);

        let nonce = 0n;
        const withdraw = (scriptPubKey: string, sats: bigint) =>
          signTx(key, {
            nonce: nonce++,
            to: BRIDGE_ADDRESS,
            value: sats * WEI_PER_SAT,
            data: encodeWithdraw(Uint8Array.from(Buffer.from(scriptPubKey, 'hex'))),
            gasLimit: 200_000n,
            maxFee: 7n,
            tip: 0n,
          });
        const settle = async (payouts: { scriptPubKey: string; sats: bigint }[]) => {
          const submitted = await api('POST', '/v1/batches', {
            txs: payouts.map((p) => withdraw(p.scriptPubKey, p.sats)),
          });
          expect(submitted.status).toBe(202);
          const pending = await waitFor(
            () => api('GET', '/v1/approvals'),
            (r) => r.body.items?.length > 0,
          );
          const item = pending.body.items[0];
          const approved = await api('POST', `/v1/settlements/${item.settlementId}/approvals`, {
            decision: 'approve',
            address: treasurer.address,
            signature: await treasurer.signTypedData(item.typedData.approve),
          });
          expect(approved.status).toBe(201);
          const broadcast = await waitFor(
            () => api('GET', `/v1/settlements/${item.settlementId}`),
            (r) => ['broadcast', 'confirmed', 'failed'].includes(r.body.status),
          );
          expect(broadcast.body.status, broadcast.body.reason).toBe('broadcast');
          await node.mine(1);
          const confirmed = await waitFor(
            () => api('GET', `/v1/settlements/${item.settlementId}`),
            (r) => r.body.status === 'confirmed',
          );
          const batch = await api('GET', `/v1/batches/${submitted.body.id}`);
          expect(batch.body).toMatchObject({ status: 'settled', settlementId: item.settlementId });
          return confirmed.body;
        };

        const alice = await payee();
        const bob = await payee();
        const first = await settle([
          { scriptPubKey: alice.scriptPubKey, sats: 40_000n },
          { scriptPubKey: bob.scriptPubKey, sats: 25_000n },
        ]);
        const tx1 = Transaction.fromHex(first.rawTx);
        expect(tx1.outs.slice(2).map((o) => o.value)).toEqual([40_000n, 25_000n]);
        expect(await node.rpc('getreceivedbyaddress', [alice.address, 1], 'test')).toBe(0.0004);

        const second = await settle([{ scriptPubKey: bob.scriptPubKey, sats: 10_000n }]);
        const tx2 = Transaction.fromHex(second.rawTx);
        // Input 0 is the first settlement's change: the custody output it created.
        expect(Buffer.from(tx2.ins[0]!.hash).reverse().toString('hex')).toBe(first.txid);
        expect(tx2.ins[0]!.index).toBe(0);
        expect(second.inputs[0]).toMatchObject({ txid: first.txid, vout: 0 });

        const signers = await api('GET', '/v1/signers');
        for (const s of signers.body.items) expect(s.rollupBatchNumber).toBe(2);

        const made = await api('POST', '/v1/api-keys', { name: 'reader', scopes: ['institution'] });
        const token = made.body.token as string;
        expect((await restClient(proc.url, token)('GET', '/v1/batches')).status).toBe(200);
        const wrong = `${token.slice(0, -4)}AAAA`;
        expect((await restClient(proc.url, wrong)('GET', '/v1/batches')).status).toBe(401);
        expect(proc.stderr()).toMatch(/"url":"\/v1\/batches"/);
        for (const secret of [BOOTSTRAP, token, wrong]) expect(proc.stderr()).not.toContain(secret);
      } finally {
        expect(await proc.stop()).toBe(0);
      }
    });
  },
);
