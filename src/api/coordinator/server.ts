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
import { createCoordinatorApp } from './app.ts';

export interface RunningCoordinator {
  url: string;
  store: Store;
  close(): Promise<void>;
}

export const LISTEN_HOST = '127.0.0.1';

export async function startCoordinator(
  config: Config,
  log: Logger,
  version: string,
): Promise<RunningCoordinator> {
  const store = await openStore({ databaseUrl: config.databaseUrl });
  try {
    const { app } = createCoordinatorApp({ store, log, version });
    const server = await listen(app, config.port);
    const { port } = server.address() as AddressInfo;
    const url = `http://${LISTEN_HOST}:${port}`;
    log.info({ url, database: store.provider }, 'coordinator listening');
    return {
      url,
      store,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
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
