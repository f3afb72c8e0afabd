/**
 * The Bitcoin Core backend against a real litecoind 0.21 regtest node (no mocks): the test
 * wallet on the same node funds and signs, the backend (which uses no wallet) reads the chain
 * and broadcasts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BitcoinCoreBackend,
  BitcoinNodeError,
  TransactionRejectedError,
} from '../../../src/settlement/backend/bitcoin-core.ts';
import {
  freePort,
  type Litecoind,
  satsToCoinString,
  startLitecoind,
  TEST_WALLET,
} from '../../support/litecoind.ts';

let node: Litecoind;
let backend: BitcoinCoreBackend;

beforeAll(async () => {
  node = await startLitecoind();
  backend = new BitcoinCoreBackend({ network: 'litecoin-regtest', rpcUrl: node.rpcUrl });
});
afterAll(() => node?.stop());

async function scriptPubKeyOf(address: string): Promise<string> {
  const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [address], TEST_WALLET);
  return info.scriptPubKey;
}

/** A transaction the test wallet signs: spends one outpoint, pays `sats` to a new address. */
async function walletSpend(
  outpoint: { txid: string; vout: number },
  sats: bigint,
  sequence = 0xfffffffd,
): Promise<{ hex: string; txid: string }> {
  const to = await node.newAddress();
  const raw = await node.rpc<string>('createrawtransaction', [
    [{ txid: outpoint.txid, vout: outpoint.vout, sequence }],
    { [to]: satsToCoinString(sats) },
  ]);
  const signed = await node.rpc<{ hex: string; complete: boolean }>(
    'signrawtransactionwithwallet',
    [raw],
    TEST_WALLET,
  );
  expect(signed.complete).toBe(true);
  const { txid } = await node.rpc<{ txid: string }>('decoderawtransaction', [signed.hex]);
  return { hex: signed.hex, txid };
}

describe('chain view', () => {
  it('tipHeight is the node block count', async () => {
    expect(await backend.tipHeight()).toBe(await node.height());
  });

  it('estimateFeeRate is null on a fresh chain, where estimatesmartfee reports errors', async () => {
    const raw = await node.rpc<{ errors?: string[] }>('estimatesmartfee', [2]);
    expect(raw.errors?.length).toBeGreaterThan(0);
    expect(await backend.estimateFeeRate(2)).toBeNull();
  });

  it('listUnspent finds exactly the funded output, in exact satoshis (0.29 is not a float)', async () => {
    const address = await node.newAddress();
    const spk = await scriptPubKeyOf(address);
    // 0.29 * 1e8 = 28999999.999999996 in binary floating point.
    const a = await node.fund(address, 29_000_000n);
    const b = await node.fund(address, 1_234_567_891n);
    let outputs = await backend.listUnspent(spk);
    const expected = [
      { txid: a.txid, vout: a.vout, valueSats: 29_000_000n, scriptPubKey: spk, confirmations: 2 },
      {
        txid: b.txid,
        vout: b.vout,
        valueSats: 1_234_567_891n,
        scriptPubKey: spk,
        confirmations: 1,
      },
    ].sort((x, y) => (x.txid < y.txid ? -1 : 1));
    expect(outputs).toEqual(expected);
    await node.mine(1);
    outputs = await backend.listUnspent(spk);
    expect(outputs.map((o) => o.confirmations).sort()).toEqual([2, 3]);
  });

  it('listUnspent of a script nobody paid is empty', async () => {
    expect(await backend.listUnspent(`0014${'00'.repeat(20)}`)).toEqual([]);
  });

  it('listUnspent waits for another client scan instead of failing on "Scan already in progress"', async () => {
    // A slow scan held by another client: 10,000 keys derived from the test wallet's seed.
    const file = path.join(node.dataDir, 'dump.txt');
    await node.rpc('dumpwallet', [file], TEST_WALLET);
    const tprv = /extended private masterkey: (tprv\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
    const { descriptor } = await node.rpc<{ descriptor: string }>('getdescriptorinfo', [
      `combo(${tprv}/*)`,
    ]);
    const other = node.rpc('scantxoutset', ['start', [{ desc: descriptor, range: 10_000 }]]);
    while ((await node.rpc('scantxoutset', ['status'])) === null) await sleep(5);
    const spk = await scriptPubKeyOf(await node.newAddress());
    expect(await backend.listUnspent(spk)).toEqual([]);
    await other;
  });
});

describe('broadcast and txStatus', () => {
  it('broadcasts, rebroadcasts as already-known, hides mempool-spent outputs, tracks through a reorg', async () => {
    const address = await node.newAddress();
    const funded = await node.fund(address, 50_000_000n);
    const before = await backend.getUnspent(funded);
    expect(before).toEqual({
      txid: funded.txid,
      vout: funded.vout,
      valueSats: 50_000_000n,
      scriptPubKey: await scriptPubKeyOf(address),
      confirmations: 1,
    });

    const spend = await walletSpend(funded, 49_990_000n);
    expect(await backend.broadcast(spend.hex, '', 'ignored')).toEqual({
      txid: spend.txid,
      accepted: 'mempool',
    });
    expect(await backend.broadcast(spend.hex, '', 'ignored')).toEqual({
      txid: spend.txid,
      accepted: 'already-known',
    });
    // include_mempool: the output the mempool transaction spends is gone, its new one is there.
    expect(await backend.getUnspent(funded)).toBeNull();
    expect(await backend.getUnspent({ txid: spend.txid, vout: 0 })).toMatchObject({
      valueSats: 49_990_000n,
      confirmations: 0,
    });
    expect(await backend.txStatus(spend.txid)).toEqual({ state: 'mempool', confirmations: 0 });

    const [blockHash] = await node.mine(1);
    const height = await node.height();
    expect(await backend.txStatus(spend.txid, blockHash)).toEqual({
      state: 'confirmed',
      confirmations: 1,
      blockHash,
      blockHeight: height,
    });
    await node.mine(1);
    expect(await backend.txStatus(spend.txid, blockHash)).toMatchObject({
      state: 'confirmed',
      confirmations: 2,
    });
    // Without the block hash (no -txindex) the unspent output 0 still locates it.
    expect(await backend.txStatus(spend.txid)).toEqual({
      state: 'confirmed',
      confirmations: 2,
      blockHash,
      blockHeight: height,
    });
    // In a block now: a rebroadcast is still already-known, not an error.
    expect((await backend.broadcast(spend.hex, '', 'ignored')).accepted).toBe('already-known');

    // Reorg: Litecoin Core 0.21 puts the transactions of an invalidated block back into the
    // mempool; the known block no longer counts.
    await node.rpc('invalidateblock', [blockHash]);
    expect(await backend.txStatus(spend.txid, blockHash)).toEqual({
      state: 'mempool',
      confirmations: 0,
    });
    await node.rpc('reconsiderblock', [blockHash]);
    expect(await backend.txStatus(spend.txid, blockHash)).toMatchObject({
      state: 'confirmed',
      confirmations: 2,
      blockHash,
    });
  });

  it('a block hash that does not hold the transaction does not make it confirmed', async () => {
    const funded = await node.fund(await node.newAddress(), 10_000_000n);
    const spend = await walletSpend(funded, 9_990_000n);
    await backend.broadcast(spend.hex, '', 'x');
    expect(await backend.txStatus(spend.txid, funded.blockHash)).toEqual({
      state: 'mempool',
      confirmations: 0,
    });
  });

  it('a transaction the node never saw is unknown', async () => {
    expect(await backend.txStatus('ab'.repeat(32))).toEqual({ state: 'unknown', confirmations: 0 });
    expect(await backend.txStatus('ab'.repeat(32), 'cd'.repeat(32))).toEqual({
      state: 'unknown',
      confirmations: 0,
    });
  });

  it('a double spend of a non-replaceable transaction is refused with txn-mempool-conflict', async () => {
    const funded = await node.fund(await node.newAddress(), 20_000_000n);
    const first = await walletSpend(funded, 19_990_000n, 0xffffffff);
    const second = await walletSpend(funded, 19_900_000n, 0xffffffff);
    await backend.broadcast(first.hex, '', 'x');
    const error = await backend.broadcast(second.hex, '', 'x').catch((e) => e);
    expect(error).toBeInstanceOf(TransactionRejectedError);
    expect(error.txid).toBe(second.txid);
    expect(error.reason).toMatch(/txn-mempool-conflict/);
    expect(error.message).toMatch(/txn-mempool-conflict/);
  });

  it('a replacement paying no more than the original is refused with the node reason', async () => {
    const funded = await node.fund(await node.newAddress(), 20_000_000n);
    const first = await walletSpend(funded, 19_900_000n);
    const cheaper = await walletSpend(funded, 19_990_000n);
    await backend.broadcast(first.hex, '', 'x');
    const error = await backend.broadcast(cheaper.hex, '', 'x').catch((e) => e);
    expect(error).toBeInstanceOf(TransactionRejectedError);
    expect(error.message).toMatch(/insufficient fee/);
    // A replacement that pays more goes through (-mempoolreplacement=1, BIP125 signalled).
    const richer = await walletSpend(funded, 19_800_000n);
    expect((await backend.broadcast(richer.hex, '', 'x')).accepted).toBe('mempool');
    expect(await backend.txStatus(first.txid)).toEqual({ state: 'unknown', confirmations: 0 });
  });

  it('bytes that are not a transaction are refused before the node is asked', async () => {
    await expect(backend.broadcast('00', '', 'x')).rejects.toThrow(/rawTxHex/);
  });
});

describe('transport errors name the node, never the password', () => {
  it('wrong credentials are an unauthorized error without the password', async () => {
    const wrong = new BitcoinCoreBackend({
      network: 'litecoin-regtest',
      rpcUrl: `http://${node.rpcUser}:not-the-s3cret@127.0.0.1:${node.rpcPort}`,
    });
    const error = await wrong.tipHeight().catch((e) => e);
    expect(error).toBeInstanceOf(BitcoinNodeError);
    expect(error.reason).toBe('unauthorized');
    expect(error.message).toMatch(/refused the credentials/);
    expect(JSON.stringify({ m: error.message, p: error.toProblem() })).not.toContain(
      'not-the-s3cret',
    );
  });

  it('an unreachable port is an unreachable error without the password', async () => {
    const port = await freePort();
    const gone = new BitcoinCoreBackend({
      network: 'litecoin-regtest',
      rpcUrl: `http://u:hunter2hunter2@127.0.0.1:${port}`,
    });
    const error = await gone.tipHeight().catch((e) => e);
    expect(error).toBeInstanceOf(BitcoinNodeError);
    expect(error.reason).toBe('unreachable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain('hunter2');
    expect(gone.describe()).toBe(`http://u:***@127.0.0.1:${port}/`);
  });

  describe('against a local HTTP server', () => {
    let server: Server;
    let port: number;
    const seen: (string | undefined)[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.headers.authorization);
        if (req.url === '/hang') return; // never answers
        res.setHeader('content-type', 'application/json');
        res.end('{"result":{"amount":0.29,"height":7},"error":null,"id":1}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => {
      server.closeAllConnections();
      server.close();
    });

    it('percent-encoded credentials become a decoded Basic header, amounts stay exact', async () => {
      const b = new BitcoinCoreBackend({
        network: 'regtest',
        rpcUrl: `http://us%40er:p%3Ass%2Fw%20rd@127.0.0.1:${port}/`,
      });
      expect(await b.call('x')).toEqual({ amount: '0.29', height: 7 });
      expect(seen.at(-1)).toBe(`Basic ${Buffer.from('us@er:p:ss/w rd').toString('base64')}`);
    });

    it('a node that does not answer times out per call, without the password', async () => {
      const b = new BitcoinCoreBackend({
        network: 'regtest',
        rpcUrl: `http://u:secretpw@127.0.0.1:${port}/hang`,
        timeoutMs: 200,
      });
      const error = await b.tipHeight().catch((e) => e);
      expect(error).toBeInstanceOf(BitcoinNodeError);
      expect(error.reason).toBe('timeout');
      expect(error.message).toMatch(/getblockcount timed out after 200 ms/);
      expect(error.message).not.toContain('secretpw');
    });
  });
});
