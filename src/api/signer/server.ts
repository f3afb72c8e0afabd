/**
 * `custody signer`: opens the signer's own store (migrations applied), loads or creates its
 * identity key, its own rollup (batches a crash left half-verified finished first) and its
 * settlement verifier, the policy every signature passes, and serves on 127.0.0.1 (an
 * ephemeral port unless configured).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openBackend } from '../../settlement/backend/index.ts';
import type { BitcoinBackend } from '../../settlement/backend/types.ts';
import { settlementNetwork } from '../../settlement/networks.ts';
import type { Logger } from '../../shared/logger.ts';
import { openStore } from '../../store/store.ts';
import { LISTEN_HOST } from '../coordinator/server.ts';
import { createSignerApp } from './app.ts';
import type { SignerConfig } from './config.ts';
import { crashHook, type SignerContext } from './context.ts';
import { requireDurableCommits } from './durability.ts';
import { NoncePool } from './nonce-pool.ts';
import type { PolicyVerifier } from './policy.ts';
import { openSignerRollup, type SignerRollup } from './rollup/index.ts';
import { type SettlementVerifierDeps, settlementVerifier } from './settlement/verifier.ts';
import { openSqliteSignerSql, type SqliteSignerSql } from './signer-sqlite.ts';
import { loadOrCreateIdentity } from './vault.ts';

export interface RunningSigner {
  name: string;
  url: string;
  identityKey: string;
  close(): Promise<void>;
}

export interface StartSignerOpts {
  /**
   * Tests of the raw signing rounds only, wired in their own process: the verifier to use
   * instead of the settlement verifier. No setting, flag or variable reaches this: the
   * `custody signer` command always verifies.
   */
  verifierInProcess?: (deps: SettlementVerifierDeps) => PolicyVerifier;
}

export async function startSigner(
  config: SignerConfig,
  log: Logger,
  version: string,
  opts: StartSignerOpts = {},
): Promise<RunningSigner> {
  const store = await openStore({ databaseUrl: config.databaseUrl });
  let sql: SqliteSignerSql | undefined;
  let rollup: SignerRollup | undefined;
  try {
    const durability = await requireDurableCommits(store);
    if (durability.warning) log.warn({ durability: durability.detail }, durability.warning);
    // SQLite: the hot path on its own connection with prepared statements (signer-sqlite.ts).
    if (store.target.provider === 'sqlite') sql = openSqliteSignerSql(store.target.file);
    const identity = await loadOrCreateIdentity(store.db, config.kek);
    rollup = await openSignerRollup(store.db, config, crashHook(config.crashAt));
    const deps: SettlementVerifierDeps = {
      db: store.db,
      rollup: rollup.view,
      backend: signerBackend(config),
      network: settlementNetwork(config.bitcoin.network),
      policy: config.policy,
      ...(config.approvals === undefined ? {} : { approvals: config.approvals }),
    };
    const policy = (opts.verifierInProcess ?? settlementVerifier)(deps);
    const ctx: SignerContext = {
      name: config.name,
      db: store.db,
      ...(sql ? { sql } : {}),
      kek: config.kek,
      identity,
      dealerKeys: config.dealerKeys,
      policy,
      log,
      crash: crashHook(config.crashAt),
    };
    const noncePool = new NoncePool({
      kek: ctx.kek,
      onRefillError: (keyId, error) =>
        log.warn({ keyId, error: (error as Error)?.name }, 'nonce pool refill failed'),
    });
    ctx.noncePool = noncePool;
    const { app } = createSignerApp({
      ctx,
      store,
      ...(sql ? { hotPath: sql } : {}),
      rollup,
      settlements: deps,
      coordinatorKeys: config.coordinatorKeys,
      version,
    });
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, LISTEN_HOST);
      s.once('listening', () => resolve(s));
      s.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${LISTEN_HOST}:${port}`;
    log.info({ url, signer: config.name }, 'signer listening');
    return {
      name: config.name,
      url,
      identityKey: identity.publicKey,
      close: async () => {
        noncePool.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rollup?.close();
        sql?.close();
        await store.close();
      },
    };
  } catch (error) {
    await rollup?.close();
    sql?.close();
    await store.close();
    throw error;
  }
}

/**
 * Its own view of Bitcoin: its own node when configured, else the offline backend (custody
 * outputs then come from its operator's registrations; it never broadcasts, so its outbox stays
 * empty).
 */
function signerBackend(config: SignerConfig): BitcoinBackend {
  return openBackend({
    network: config.bitcoin.network,
    ...(config.bitcoin.rpcUrl === undefined ? {} : { rpcUrl: config.bitcoin.rpcUrl }),
    outboxDir: path.join(path.dirname(config.rollup.dataDir), 'outbox'),
  });
}
