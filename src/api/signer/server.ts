/**
 * `custody signer`: opens the signer's own store (migrations applied), loads or creates its
 * identity key, and serves on 127.0.0.1 (an ephemeral port unless configured).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logger.ts';
import { openStore } from '../../store/store.ts';
import { LISTEN_HOST } from '../coordinator/server.ts';
import { createSignerApp } from './app.ts';
import type { SignerConfig } from './config.ts';
import { crashHook, type SignerContext } from './context.ts';
import { requireDurableCommits } from './durability.ts';
import { NoncePool } from './nonce-pool.ts';
import { allowAll, type PolicyVerifier } from './policy.ts';
import { openSqliteSignerSql, type SqliteSignerSql } from './signer-sqlite.ts';
import { loadOrCreateIdentity } from './vault.ts';

export interface RunningSigner {
  name: string;
  url: string;
  identityKey: string;
  close(): Promise<void>;
}

export async function startSigner(
  config: SignerConfig,
  log: Logger,
  version: string,
  policy: PolicyVerifier = allowAll,
): Promise<RunningSigner> {
  const store = await openStore({ databaseUrl: config.databaseUrl });
  let sql: SqliteSignerSql | undefined;
  try {
    const durability = await requireDurableCommits(store);
    if (durability.warning) log.warn({ durability: durability.detail }, durability.warning);
    // SQLite: the hot path on its own connection with prepared statements (signer-sqlite.ts).
    if (store.target.provider === 'sqlite') sql = openSqliteSignerSql(store.target.file);
    const identity = await loadOrCreateIdentity(store.db, config.kek);
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
        sql?.close();
        await store.close();
      },
    };
  } catch (error) {
    sql?.close();
    await store.close();
    throw error;
  }
}
