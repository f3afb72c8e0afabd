/**
 * A warm pool of worker threads, kept across batches: starting a worker (loading the VM and
 * the crypto bindings) costs far more than a small batch takes to execute.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isStale } from '../../../scripts/build-stamp.mjs';
import type { FromWorker, ToWorker } from './protocol.ts';

export class WorkerHandle {
  private listener: ((msg: FromWorker) => void) | undefined;
  failure: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (msg: FromWorker) => this.listener?.(msg));
    worker.on('error', (e) => {
      this.failure = e;
      this.listener?.({ t: 'fatal', message: e.message });
    });
    worker.on('exit', (code) => {
      this.failure ??= new Error(`worker exited with code ${code}`);
      this.listener?.({ t: 'fatal', message: this.failure.message });
    });
  }

  listen(fn: ((msg: FromWorker) => void) | undefined): void {
    this.listener = fn;
  }

  post(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }
}

let pool: WorkerHandle[] = [];
let tail: Promise<unknown> = Promise.resolve();

/**
 * Runs `fn` with the pool to itself. Every run replaces the workers' listeners and their
 * batch, so two batches at once (two API requests, a signer verifying while the coordinator
 * executes) take turns instead of stealing each other's messages.
 */
export function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = tail.then(fn, fn);
  tail = run.catch(() => undefined);
  return run;
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

/** `n` live workers, started on first use and reused afterwards. */
export function acquireWorkers(n: number): WorkerHandle[] {
  pool = pool.filter((w) => w.failure === undefined);
  if (pool.length >= n) return pool.slice(0, n);
  // One freshness check for all the workers started now (it walks the source tree).
  const entry = workerEntry();
  while (pool.length < n) pool.push(spawn(entry));
  return pool.slice(0, n);
}

/**
 * Workers always run the built bundle (dist/worker.js, see scripts/build.mjs), also when this
 * module is loaded from its TypeScript source (tests, the bench): a worker that compiled
 * TypeScript, or resolved the VM's few hundred modules one by one, as it loads would start
 * several times slower than the thread that waits for it. Loaded from source, the bundle is
 * first checked against the sources (scripts/build-stamp.mjs, no esbuild) and rebuilt when
 * they changed, so an edit to src/ is what the workers run; loaded from dist/, it is used as is.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  const built = new URL('../../../dist/worker.js', import.meta.url);
  if (isStale()) rebuild();
  if (!existsSync(built)) {
    throw new Error(`the worker thread's code ${built.pathname} is not built (npm run build)`);
  }
  return built;
}

/** scripts/build.mjs in a child process: synchronous, as starting a worker is. */
function rebuild(): void {
  const script = fileURLToPath(new URL('../../../scripts/build.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--if-stale'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    throw new Error(
      'dist/worker.js is older than src/ and could not be rebuilt (npm run build shows why)',
    );
  }
}

function spawn(entry: URL): WorkerHandle {
  const worker = new Worker(entry);
  // An idle pool must not keep a CLI process alive.
  worker.unref();
  return new WorkerHandle(worker);
}

/** Stop every worker (tests, shutdown). */
export async function closeWorkerPool(): Promise<void> {
  const all = pool;
  pool = [];
  await Promise.all(all.map((w) => w.worker.terminate()));
}
