/**
 * `custody exec --batch FILE [--mode parallel|sequential] [--workers N]`: executes a batch
 * file and prints exactly one JSON object on stdout. Any bad file is one line on stderr and a
 * non-zero exit (the CLI wrapper formats errors).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseBatch } from '../execution/batch.ts';
import { closeWorkerPool, runParallel } from '../execution/parallel/index.ts';
import { runSequential } from '../execution/sequential.ts';
import type { BatchResult } from '../execution/types.ts';
import { InvalidInputError } from '../shared/errors.ts';
import { bytesToHex, toQuantity } from '../shared/hex.ts';

interface ExecOpts {
  batch: string;
  mode: string;
  workers?: string;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('execute a batch file and print its result as one JSON object')
    .requiredOption('--batch <file>', 'batch file (JSON, see DESIGN.md "Batch file")')
    .option('--mode <mode>', 'parallel or sequential', 'parallel')
    .option('--workers <n>', 'worker threads for parallel mode (default: one per core)')
    .action(async (opts: ExecOpts) => {
      const mode = parseMode(opts.mode);
      const workers = opts.workers === undefined ? undefined : parseWorkers(opts.workers);
      const batch = parseBatch(await readJson(opts.batch));
      const started = performance.now();
      const result =
        mode === 'sequential'
          ? await runSequential(batch)
          : await runParallel(batch, { workers }).finally(closeWorkerPool);
      process.stderr.write(
        `executed ${result.txCount} transactions (${mode}) in ${Math.round(performance.now() - started)} ms\n`,
      );
      process.stdout.write(`${JSON.stringify(resultJson(result, mode))}\n`);
    });
}

function parseMode(mode: string): 'parallel' | 'sequential' {
  if (mode === 'parallel' || mode === 'sequential') return mode;
  throw new InvalidInputError(
    `--mode: expected parallel or sequential, got ${JSON.stringify(mode)}`,
  );
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 256) {
    throw new InvalidInputError(
      `--workers: expected an integer from 1 to 256, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidInputError(`--batch: cannot read ${path} (${code})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--batch: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

export function resultJson(result: BatchResult, mode: string): Record<string, unknown> {
  return {
    stateRoot: bytesToHex(result.stateRoot),
    receiptsRoot: bytesToHex(result.receiptsRoot),
    gasUsed: toQuantity(result.gasUsed),
    txCount: result.txCount,
    withdrawals: result.withdrawals,
    withdrawalsRoot: result.withdrawalsRoot,
    logCount: result.logs.length,
    receipts: result.receipts.map((r) => ({
      status: toQuantity(r.status),
      gasUsed: toQuantity(r.gasUsed),
      cumulativeGasUsed: toQuantity(r.cumulativeGasUsed),
    })),
    mode,
  };
}
