/**
 * `custody start`: opens the store (applying migrations), serves the coordinator on
 * 127.0.0.1:$PORT and shuts down cleanly on SIGINT/SIGTERM.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../shared/config.ts';
import { CustodyError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { openStore, type Store } from '../../store/store.ts';
import type { LaunchedSigner } from '../signer/supervisor.ts';
import { createCoordinatorApp } from './app.ts';
import { type Custody, openLocalCustody } from './custody.ts';
import { registerWithLocalSigners } from './local-signer-records.ts';
import { loadCoordinatorIdentity, refuseSharedKek, startLocalSigners } from './local-signers.ts';
import { type NodeWorldState, openNodeWorldState } from './world-state.ts';

export interface RunningCoordinator {
  url: string;
  store: Store;
  custody: Custody;
  worldState: NodeWorldState;
  close(): Promise<void>;
}

export const LISTEN_HOST = '127.0.0.1';

export async function startCoordinator(
  config: Config,
  log: Logger,
  version: string,
): Promise<RunningCoordinator> {
  refuseSharedKek(config.signerKekFile);
  const store = await openStore({ databaseUrl: config.databaseUrl });
  let custody: Custody | undefined;
  let signers: LaunchedSigner[] = [];
  let server: Server | undefined;
  let worldState: NodeWorldState | undefined;
  const close = async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await Promise.all(signers.map((s) => s.stop()));
    await worldState?.ws.close();
    await store.close();
  };
  try {
    // Before listening: a data directory holding another chain's state must stop start-up.
    worldState = await openNodeWorldState(config);
    const head = worldState.ws.head();
    log.info({ height: head.height, root: head.root }, 'world state opened');
    const { app } = createCoordinatorApp({
      store,
      log,
      version,
      custody: () => custody,
      worldState,
    });
    // Listen first: a taken port fails start-up before any signer process is spawned.
    server = await listen(app, config.port);
    const { port } = server.address() as AddressInfo;
    const url = `http://${LISTEN_HOST}:${port}`;
    log.info({ url, database: store.provider }, 'coordinator listening');
    const coordinator = loadCoordinatorIdentity(config.dataDir);
    signers = await startLocalSigners({
      dataDir: config.dataDir,
      coordinator,
      log,
      chain: config,
    });
    custody = await openLocalCustody(store.db, config.scheme, signers);
    await registerWithLocalSigners({ config, custody, log });
    log.info(
      { scheme: custody.key.scheme, keyId: custody.key.id, descriptor: custody.key.descriptor },
      'custody key ready',
    );
    return { url, store, custody, worldState, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function listen(app: import('express').Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, LISTEN_HOST);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new CustodyError(
            'port-in-use',
            500,
            'Port in use',
            `port ${port} on ${LISTEN_HOST} is already in use (set PORT)`,
          ),
        );
      } else reject(error);
    });
  });
}
