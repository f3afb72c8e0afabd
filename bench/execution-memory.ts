/**
 * Child process of the `execution` bench: executes one batch file in parallel and reports the
 * process's peak RSS (coordinator and worker threads share the process), so the figure is
 * what a `custody exec` of that batch costs, not the benchmark's own batch generation.
 *   tsx bench/execution-memory.ts FILE MODE   (MODE: parallel | sequential)
 */
import { readFileSync } from 'node:fs';
import { parseBatch } from '../src/execution/batch.ts';
import { closeWorkerPool, runParallel } from '../src/execution/parallel/index.ts';
import { runSequential } from '../src/execution/sequential.ts';

const [file, mode] = process.argv.slice(2);
const batch = parseBatch(JSON.parse(readFileSync(file as string, 'utf8')));
const t0 = performance.now();
const result = mode === 'sequential' ? await runSequential(batch) : await runParallel(batch);
const seconds = (performance.now() - t0) / 1000;
await closeWorkerPool();
process.stdout.write(
  `${JSON.stringify({
    txCount: result.txCount,
    tps: result.txCount / seconds,
    stateRoot: Buffer.from(result.stateRoot).toString('hex'),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
