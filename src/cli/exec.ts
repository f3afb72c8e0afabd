/**
 * `custody exec --batch FILE [--mode parallel|sequential] [--workers N] [--commit]`: executes a
 * batch file and prints exactly one JSON object on stdout. Any bad file is one line on stderr
 * and a non-zero exit (the CLI wrapper formats errors).
 *
 * A batch on `preStateRoot` runs on the node's world state ($DATA_DIR/state, created from the
 * configured genesis on first use); `--commit` then makes its post-state the new head, which
 * the next batch names as its `preStateRoot`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Batch, BatchResult } from '../execution/types.ts';
import type { WorldStateOpts } from '../execution/world-state/binding.ts';
import { InvalidInputError } from '../shared/errors.ts';
import { bytesToHex, toQuantity } from '../shared/hex.ts';
import { loadConfig } from './context.ts';

interface ExecOpts {
  batch: string;
  mode: string;
  workers?: string;
  commit?: boolean;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('execute a batch file and print its result as one JSON object')
    .requiredOption('--batch <file>', 'batch file (JSON, see DESIGN.md "Batch file")')
    .option('--mode <mode>', 'parallel or sequential', 'parallel')
    .option('--workers <n>', 'worker threads for parallel mode (default: one per core)')
    .option('--commit', 'make the post-state the head of the world state (preStateRoot batches)')
    .action(async (opts: ExecOpts) => {
      const mode = parseMode(opts.mode);
      const workers = opts.workers === undefined ? undefined : parseWorkers(opts.workers);
      // Only the executor this run uses is loaded; the worker pool starts before anything else.
      const executor = mode === 'sequential' ? await sequential() : await parallel(workers);
      try {
        const { parseBatch } = await import('../execution/batch.ts');
        const batch = parseBatch(await readJson(opts.batch));
        const world = await worldStateFor(batch, opts.commit === true);
        try {
          const started = performance.now();
          const result = await executor.run(batch, world);
          process.stderr.write(
            `executed ${result.txCount} transactions (${mode}) in ${Math.round(performance.now() - started)} ms\n`,
          );
          process.stdout.write(`${JSON.stringify(resultJson(result, mode))}\n`);
        } finally {
          await world.worldState?.close();
        }
      } finally {
        await executor.close();
      }
    });
}

interface Executor {
  run(batch: Batch, world: WorldStateOpts): Promise<BatchResult>;
  close(): Promise<void>;
}

async function sequential(): Promise<Executor> {
  const { runSequential } = await import('../execution/sequential.ts');
  return { run: runSequential, close: async () => {} };
}

/** Workers load their VM while this thread loads its own modules and reads the batch. */
async function parallel(workers: number | undefined): Promise<Executor> {
  const pool = await import('../execution/parallel/pool.ts');
  pool.acquireWorkers(workers ?? pool.defaultWorkerCount());
  try {
    const { runParallel } = await import('../execution/parallel/index.ts');
    return {
      run: (batch, world) => runParallel(batch, { ...world, workers }),
      close: pool.closeWorkerPool,
    };
  } catch (error) {
    await pool.closeWorkerPool();
    throw error;
  }
}

/** The node's world state, opened only for a batch that names a state root. */
async function worldStateFor(batch: Batch, commit: boolean): Promise<WorldStateOpts> {
  if (batch.preStateRoot === undefined) {
    if (commit) {
      throw new InvalidInputError('--commit: only a batch on "preStateRoot" can be committed');
    }
    return {};
  }
  const config = loadConfig();
  const { checkBatchChain, openNodeWorldState } = await import('../api/coordinator/world-state.ts');
  const { ws, chainId } = await openNodeWorldState(config);
  try {
    checkBatchChain(batch, chainId);
  } catch (error) {
    await ws.close();
    throw error;
  }
  return { worldState: ws, commit };
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
    ...(result.committed === undefined ? {} : { committed: result.committed }),
  };
}
