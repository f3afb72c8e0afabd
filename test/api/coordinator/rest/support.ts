/** An in-process `custody start` with a funded rollup account, and a small REST client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type RunningCoordinator,
  startCoordinator,
} from '../../../../src/api/coordinator/server.ts';
import { BRIDGE_ADDRESS } from '../../../../src/execution/bridge/artifact.ts';
import { type Config, parseConfig } from '../../../../src/shared/config.ts';
import { createLogger } from '../../../../src/shared/logger.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../execution/bridge/harness.ts';
import { type Key, newKey, signTx } from '../../../execution/support/txs.ts';
import { type JsonAnswer, until } from '../../../support/custody-start.ts';
import { fundedGenesis } from '../../../support/genesis.ts';

export const BOOTSTRAP = 'bootstrap-key-for-tests-0123456789';

export interface Started {
  running: RunningCoordinator;
  config: Config;
  dir: string;
  key: Key;
  nonce: bigint;
  call(
    method: string,
    route: string,
    opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: JsonAnswer; headers: Headers }>;
  /** Signed withdrawals to the bridge, one per payout. */
  withdrawals(payouts: { scriptPubKey: string; sats: bigint }[]): string[];
  close(): Promise<void>;
}

export async function startRest(env: Record<string, string> = {}): Promise<Started> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-rest-'));
  const key = newKey();
  const genesis = fundedGenesis(dir, key.address);
  const config = parseConfig({
    DATA_DIR: path.join(dir, 'data'),
    PORT: '0',
    GENESIS_FILE: genesis,
    BOOTSTRAP_API_KEY: BOOTSTRAP,
    SETTLE_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const running = await startCoordinator(
    config,
    createLogger({ level: (process.env.TEST_LOG as 'silent') ?? 'silent' }),
    't',
  );
  const s: Started = {
    running,
    config,
    dir,
    key,
    nonce: 0n,
    async call(method, route, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? BOOTSTRAP : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${running.url}${route}`, {
        method,
        headers,
        ...(opts.body === undefined
          ? {}
          : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: res.status, body, headers: res.headers };
    },
    withdrawals(payouts) {
      return payouts.map((p) =>
        signTx(key, {
          nonce: s.nonce++,
          to: BRIDGE_ADDRESS,
          value: p.sats * WEI_PER_SAT,
          data: encodeWithdraw(Uint8Array.from(Buffer.from(p.scriptPubKey, 'hex'))),
          gasLimit: 200_000n,
          maxFee: 7n,
          tip: 0n,
        }),
      );
    },
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

export { until };
