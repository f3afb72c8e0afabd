import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { startCoordinator } from '../api/coordinator/server.ts';
import { closeOnSignal, commandLogger, loadConfig } from './context.ts';

export function register(program: Command): void {
  program
    .command('start')
    .alias('serve')
    .description(
      "run the whole stack: the coordinator (the treasurers' dashboard at /, REST API, /healthz, /readyz, /metrics, /openapi.json), its local signers and the settlement cron",
    )
    .option(
      '--demo',
      'also submit generated batches with withdrawals every few seconds; with bitcoind or litecoind on the PATH (and no BITCOIN_RPC_URL), run a private regtest node under DATA_DIR, fund the custody address and settle live',
    )
    .action(async (opts: { demo?: boolean }) => {
      const config = loadConfig();
      const log = commandLogger(config, 2);
      if (opts.demo) {
        const { startDemo } = await import('../api/coordinator/demo/index.ts');
        const demo = await startDemo(config, log, pkg.version);
        const url = demo.running.url;
        process.stdout.write(`custody coordinator on ${url} (${links(url)}); ${demo.summary}\n`);
        closeOnSignal(log, () => demo.close());
        return;
      }
      const running = await startCoordinator(config, log, pkg.version);
      process.stdout.write(`custody coordinator on ${running.url} (${links(running.url)})\n`);
      closeOnSignal(log, () => running.close());
    });
}

/** Where a newcomer goes next: the treasurers' dashboard and the API's description. */
function links(url: string): string {
  return `dashboard ${url}/, API ${url}/openapi.json`;
}
