import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { startCoordinator } from '../api/coordinator/server.ts';
import { closeOnSignal, commandLogger, loadConfig } from './context.ts';

export function register(program: Command): void {
  program
    .command('start')
    .alias('serve')
    .description(
      'run the whole stack: the coordinator (REST API, /healthz, /readyz, /metrics, /openapi.json), its local signers and the settlement cron',
    )
    .action(async () => {
      const config = loadConfig();
      const log = commandLogger(config, 2);
      const running = await startCoordinator(config, log, pkg.version);
      process.stdout.write(
        `custody coordinator on ${running.url} (dashboard ${running.url}/, API ${running.url}/openapi.json)\n`,
      );
      closeOnSignal(log, () => running.close());
    });
}
