/** The offline backend on a real temporary directory. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBackend } from '../../../src/settlement/backend/index.ts';
import { NoChainViewError, OfflineBackend } from '../../../src/settlement/backend/offline.ts';
import { ConflictError } from '../../../src/shared/errors.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'outbox-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A one-input, one-output transaction with a witness, and the PSBT of its unsigned form. */
function signedTxAndPsbt(valueSats = 90_000n): { hex: string; psbt: string; txid: string } {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(7), 1, 0xfffffffd);
  tx.addOutput(Uint8Array.from([0x51, 0x20, ...new Uint8Array(32).fill(9)]), valueSats);
  const psbt = Psbt.fromHex(
    new Psbt()
      .addInput({ hash: new Uint8Array(32).fill(7), index: 1, sequence: 0xfffffffd })
      .addOutput({ script: tx.outs[0]!.script, value: valueSats })
      .toHex(),
  );
  psbt.setVersion(2);
  tx.setWitness(0, [new Uint8Array(64).fill(1)]);
  return { hex: tx.toHex(), psbt: psbt.toBase64(), txid: tx.getId() };
}

describe('offline backend', () => {
  it('exports the transaction and PSBT as <name>.tx.hex and <name>.psbt', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: path.join(dir, 'out') });
    const { hex, psbt, txid } = signedTxAndPsbt();
    const result = await backend.broadcast(hex, psbt, 'settlement-0001');
    expect(result).toEqual({
      txid,
      accepted: 'exported',
      exported: {
        txPath: path.join(dir, 'out', 'settlement-0001.tx.hex'),
        psbtPath: path.join(dir, 'out', 'settlement-0001.psbt'),
      },
    });
    expect(readFileSync(result.exported!.txPath, 'utf8')).toBe(`${hex}\n`);
    expect(readFileSync(result.exported!.psbtPath, 'utf8')).toBe(`${psbt}\n`);
    // No temporary file is left behind.
    expect(readdirSync(path.join(dir, 'out')).sort()).toEqual([
      'settlement-0001.psbt',
      'settlement-0001.tx.hex',
    ]);
  });

  it('exporting the same name with the same bytes again is idempotent', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    const { hex, psbt } = signedTxAndPsbt();
    const first = await backend.broadcast(hex, psbt, 's1');
    expect(await backend.broadcast(hex, psbt, 's1')).toEqual(first);
  });

  it('an export a crash interrupted (PSBT missing) is completed by exporting again', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    const { hex, psbt } = signedTxAndPsbt();
    writeFileSync(path.join(dir, 's1.tx.hex'), `${hex}\n`);
    await backend.broadcast(hex, psbt, 's1');
    expect(readFileSync(path.join(dir, 's1.psbt'), 'utf8')).toBe(`${psbt}\n`);
  });

  it('never overwrites: the same name with another transaction is refused and both files stay', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    const a = signedTxAndPsbt(90_000n);
    const b = signedTxAndPsbt(80_000n);
    await backend.broadcast(a.hex, a.psbt, 's1');
    const error = await backend.broadcast(b.hex, b.psbt, 's1').catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/s1\.tx\.hex already exists .* never overwritten/);
    expect(readFileSync(path.join(dir, 's1.tx.hex'), 'utf8')).toBe(`${a.hex}\n`);
    expect(readFileSync(path.join(dir, 's1.psbt'), 'utf8')).toBe(`${a.psbt}\n`);
  });

  it('refuses a PSBT of another transaction than the one exported', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    const a = signedTxAndPsbt(90_000n);
    const b = signedTxAndPsbt(80_000n);
    await expect(backend.broadcast(a.hex, b.psbt, 's1')).rejects.toThrow(/psbtBase64: describes/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses names that could leave the outbox', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    const { hex, psbt } = signedTxAndPsbt();
    for (const name of ['../evil', 'a/b', '.hidden', '', 'x'.repeat(129)]) {
      await expect(backend.broadcast(hex, psbt, name)).rejects.toThrow(/name: expected/);
    }
    await expect(backend.broadcast('zz', psbt, 'ok')).rejects.toThrow(/rawTxHex/);
    await expect(backend.broadcast(hex, 'not base64 psbt', 'ok')).rejects.toThrow(/psbtBase64/);
  });

  it('does not pretend to see the chain: no tip, no fee estimate, chain queries refused', async () => {
    const backend = new OfflineBackend({ network: 'regtest', outboxDir: dir });
    expect(await backend.tipHeight()).toBe(-1);
    expect(await backend.estimateFeeRate(2)).toBeNull();
    await expect(backend.listUnspent('0014')).rejects.toBeInstanceOf(NoChainViewError);
    await expect(backend.getUnspent()).rejects.toThrow(/offline backend has no chain view/);
    await expect(backend.txStatus('00'.repeat(32))).rejects.toBeInstanceOf(NoChainViewError);
  });
});

describe('openBackend', () => {
  it('is offline without an RPC URL and Bitcoin Core with one', () => {
    expect(openBackend({ network: 'regtest', outboxDir: dir }).kind).toBe('offline');
    expect(openBackend({ network: 'regtest', rpcUrl: '', outboxDir: dir }).kind).toBe('offline');
    expect(
      openBackend({ network: 'regtest', rpcUrl: 'http://u:p@127.0.0.1:18443', outboxDir: dir })
        .kind,
    ).toBe('bitcoin-core');
  });

  it('refuses a non-http URL naming BITCOIN_RPC_URL', () => {
    expect(() =>
      openBackend({ network: 'regtest', rpcUrl: 'ftp://127.0.0.1:21', outboxDir: dir }),
    ).toThrow(/BITCOIN_RPC_URL: expected an http:\/\/ or https:\/\/ URL/);
  });

  it('refuses an unparsable URL without echoing the password in it', () => {
    let message = '';
    try {
      openBackend({ network: 'regtest', rpcUrl: 'http://u:topsecret@[bad', outboxDir: dir });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('BITCOIN_RPC_URL: not a valid URL');
  });
});
