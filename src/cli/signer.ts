import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { loadSignerConfig } from '../api/signer/config.ts';
import { type StartSignerOpts, startSigner } from '../api/signer/server.ts';
import { createLogger } from '../shared/logger.ts';
import { closeOnSignal } from './context.ts';

/**
 * `custody signer --config FILE`: one signer service in its own process. Prints one JSON line
 * {name, url, identityKey} on stdout once listening, so the process that started it (the
 * coordinator, a test) learns its ephemeral address and identity.
 */
export function register(program: Command): void {
  program
    .command('signer')
    .description(
      'run one signer service (its own key share or key, nonces, rollup, records and database); it signs only settlements it rebuilt itself',
    )
    .requiredOption(
      '--config <file>',
      'signer settings (JSON: name, databaseUrl, coordinatorKeys, port, dealerKeys, rollup, bitcoin, policy)',
    )
    .option(
      '--exit-with-parent',
      'stop when standard input closes (the parent that started this signer is gone)',
    )
    .action((opts: { config: string; exitWithParent?: boolean }) =>
      serveSigner(opts.config, opts.exitWithParent === true),
    );
}

/** The signer process's life: start, announce, stop on a signal (or when its parent goes). */
export async function serveSigner(
  configFile: string,
  exitWithParent: boolean,
  startOpts: StartSignerOpts = {},
): Promise<void> {
  const config = loadSignerConfig(configFile, process.env);
  const log = createLogger({
    level: process.env.LOG_LEVEL ?? 'info',
    fd: 2,
    name: `signer:${config.name}`,
  });
  const running = await startSigner(config, log, pkg.version, startOpts);
  process.stdout.write(
    `${JSON.stringify({ name: running.name, url: running.url, identityKey: running.identityKey })}\n`,
  );
  closeOnSignal(log, () => running.close());
  if (exitWithParent) {
    // A coordinator killed with SIGKILL cannot stop its signers; its end of our stdin
    // closes with it, so an orphaned signer does not keep its port and database.
    process.stdin.resume();
    process.stdin.once('close', () => process.kill(process.pid, 'SIGTERM'));
  }
}
