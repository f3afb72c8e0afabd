/**
 * `custody settle`: moves the settlement pipeline forward from the command line, with the local
 * signers (the REST routes and the cron come later). Optionally executes batch files on the
 * node's world state first and records them as executed batches. Prints one JSON object:
 * `{batches, steps, settlement}`.
 *
 *   custody settle [--batch FILE ...] [--until STATUS] [--timeout MS]
 *   custody settle --register-output TXID:VOUT:SATS    (offline backend: a confirmed custody output)
 *
 * CUSTODY_FAULT_EXIT_AFTER=<status> (fault-injection tests only): exit with code 75 right after
 * the first transition into <status> is recorded, as a crash there would.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../shared/errors.ts';
import { closeOnSignal, commandLogger, loadConfig } from './context.ts';

interface SettleOpts {
  batch?: string[];
  until?: string;
  timeout: string;
  registerOutput?: string;
  bumpAfter?: string;
}

const STATUSES = ['proposed', 'approved', 'signed', 'broadcast', 'confirmed', 'exported', 'idle'];

export function register(program: Command): void {
  program
    .command('settle')
    .description('execute batch files (optional) and move the settlement pipeline forward')
    .option('--batch <file...>', 'batch files to execute on the world state and record first')
    .option('--until <status>', `keep going until the newest settlement is ${STATUSES.join('|')}`)
    .option('--timeout <ms>', 'give up waiting after this long', '600000')
    .option(
      '--register-output <txid:vout:sats>',
      'offline backend: register a confirmed custody output',
    )
    .option(
      '--bump-after <blocks>',
      'blocks a broadcast settlement may wait before a fee bump',
      '3',
    )
    .action(async (opts: SettleOpts) => {
      if (opts.until !== undefined && !STATUSES.includes(opts.until)) {
        throw new InvalidInputError(`--until: expected one of ${STATUSES.join(', ')}`);
      }
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
        throw new InvalidInputError('--timeout: expected milliseconds');
      const bumpAfterBlocks = Number(opts.bumpAfter);
      if (!Number.isInteger(bumpAfterBlocks) || bumpAfterBlocks < 1 || bumpAfterBlocks > 1000) {
        throw new InvalidInputError(
          '--bump-after: expected a whole number of blocks from 1 to 1000',
        );
      }
      const batches = await Promise.all((opts.batch ?? []).map(readJson));
      const { runSettle } = await import('../api/coordinator/settlement/command.ts');
      const config = loadConfig();
      const log = commandLogger(config, 2);
      const faultAt = process.env.CUSTODY_FAULT_EXIT_AFTER;
      const out = await runSettle({
        config,
        log,
        batches,
        until: opts.until,
        timeoutMs,
        registerOutput: opts.registerOutput,
        bumpAfterBlocks,
        onSignal: (close) => closeOnSignal(log, close),
        ...(faultAt === undefined ? {} : { faultExitAfter: faultAt }),
      });
      process.stdout.write(`${JSON.stringify(out)}\n`);
    });
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `--batch: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--batch: ${path} is not valid JSON (${(error as Error).message})`);
  }
}
