/**
 * A coordinator data directory driven by the real `custody settle` process against a real
 * litecoind regtest node, and batch files that pay withdrawals through the bridge predeploy.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BRIDGE_ADDRESS } from '../../../../src/execution/bridge/artifact.ts';
import { openStore } from '../../../../src/store/store.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../execution/bridge/harness.ts';
import { batchFile, type Key, newKey, signTx } from '../../../execution/support/txs.ts';
import { runCli } from '../../../support/cli.ts';
import { fundedGenesis } from '../../../support/genesis.ts';
import type { Litecoind } from '../../../support/litecoind.ts';

export interface SettleOut {
  custody: { scheme: string; address: string; scriptPubKey: string; descriptor: string };
  batches: { id: string; number: number; stateRoot: string; withdrawals: number }[];
  steps: { progressed: boolean; status: string; detail?: string; settlementId?: string }[];
  settlement: {
    id: string;
    status: string;
    reason: string | null;
    txid: string | null;
    batchNumber: number | null;
    feeSats: string | null;
    replaced: string[];
    confirmations: number;
    blockHash: string | null;
    exported: { txPath: string; psbtPath: string } | null;
  } | null;
  reserves?: {
    custodySats: string;
    liabilitiesSats: string;
    pendingWithdrawals: number;
    surplusSats: string;
    covered: boolean;
  };
}

export interface Coordinator {
  dir: string;
  env: Record<string, string>;
  key: Key;
  nonce: bigint;
  settle(args?: string[], extraEnv?: Record<string, string>): Promise<SettleOut>;
  /** Runs settle expecting a failure or fault exit; returns the exit code and stderr. */
  settleRaw(
    args: string[],
    extraEnv?: Record<string, string>,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  state(): Promise<string>;
  /** A batch file on the current head with one withdrawal per (scriptPubKey, sats). */
  withdrawalBatch(payouts: { scriptPubKey: string; sats: bigint }[]): Promise<string>;
}

export function coordinator(scheme: string, node: Litecoind | null): Coordinator {
  const dir = mkdtempSync(path.join(tmpdir(), `custody-settle-${scheme}-`));
  const key = newKey();
  const genesis = fundedGenesis(dir, key.address);
  const env: Record<string, string> = {
    DATA_DIR: path.join(dir, 'data'),
    CUSTODY_SCHEME: scheme,
    BITCOIN_NETWORK: 'litecoin-regtest',
    GENESIS_FILE: genesis,
    CONFIRMATIONS: '1',
    SETTLE_INTERVAL_MS: '200',
    LOG_LEVEL: 'warn',
    ...(node === null ? {} : { BITCOIN_RPC_URL: node.rpcUrl }),
  };
  let files = 0;
  const c: Coordinator = {
    dir,
    env,
    key,
    nonce: 0n,
    async settleRaw(args, extraEnv = {}) {
      return runCli(['settle', ...args], { ...env, ...extraEnv }, 240_000);
    },
    async settle(args = [], extraEnv = {}) {
      const r = await c.settleRaw(args, extraEnv);
      if (r.code !== 0)
        throw new Error(`custody settle ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as SettleOut;
    },
    async state() {
      const r = await runCli(['state'], env);
      if (r.code !== 0) throw new Error(r.stderr);
      return (JSON.parse(r.stdout) as { root: string }).root;
    },
    async withdrawalBatch(payouts) {
      const root = await c.state();
      const txs = payouts.map((p) =>
        signTx(key, {
          nonce: c.nonce++,
          to: BRIDGE_ADDRESS,
          value: p.sats * WEI_PER_SAT,
          data: encodeWithdraw(Uint8Array.from(Buffer.from(p.scriptPubKey, 'hex'))),
          gasLimit: 200_000n,
        }),
      );
      const { pre: _pre, ...file } = batchFile({ pre: {}, txs });
      const p = path.join(dir, `batch-${files++}.json`);
      writeFileSync(p, JSON.stringify({ ...file, preStateRoot: root }));
      return p;
    },
  };
  return c;
}

/** A fresh address of the test wallet and its scriptPubKey (the withdrawal destination). */
export async function walletDestination(
  node: Litecoind,
): Promise<{ address: string; scriptPubKey: string }> {
  const address = await node.newAddress();
  const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [address], 'test');
  return { address, scriptPubKey: info.scriptPubKey };
}

export { newKey };

/** What each local signer recorded by itself: the batches it verified, the settlements it signed. */
export async function localSignerRecords(c: Coordinator): Promise<
  {
    name: string;
    batches: { number: number; stateRoot: string | null; checkedBy: string | null }[];
    settlements: { txid: string; batchNumber: number }[];
    audit: string[];
  }[]
> {
  const out = [];
  for (const name of ['signer-1', 'signer-2', 'signer-3']) {
    const file = path.join(c.env.DATA_DIR as string, 'signers', name, 'signer.db');
    const store = await openStore({ databaseUrl: `file:${file}` });
    try {
      out.push({
        name,
        batches: await store.db.signerBatch.findMany({
          where: { status: 'verified' },
          orderBy: { number: 'asc' },
          select: { number: true, stateRoot: true, checkedBy: true },
        }),
        settlements: await store.db.signerSettlement.findMany({
          orderBy: { createdAt: 'asc' },
          select: { txid: true, batchNumber: true },
        }),
        audit: (await store.db.auditEntry.findMany({ orderBy: { seq: 'asc' } })).map(
          (a: { action: string }) => a.action,
        ),
      });
    } finally {
      await store.close();
    }
  }
  return out;
}
