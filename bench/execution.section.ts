/**
 * Benchmark section `execution` (issue 3). For each workload: sequential @ethereumjs/vm in its
 * default configuration (`defaultTps`) and in its fastest (state caches + native crypto,
 * `fastTps`), then runParallel on a warm pool (`parallelTps`); `speedup` is parallel over fast,
 * `speedupVsDefault` parallel over default; `peakRssMb` is the bench process's peak RSS so
 * far (workers are threads of this process), except for `memory10k`, measured in a fresh
 * process per mode, and `erc20-world-state`, the erc20 batch on a persisted root
 * (execution-world-state.ts). Every parallel result is checked
 * against the sequential root: a fast wrong answer is not a result.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeWorkerPool, runParallel } from '../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../src/execution/parallel/verify.ts';
import { runSequential } from '../src/execution/sequential.ts';
import type { Batch, BatchResult } from '../src/execution/types.ts';
import { bytesToHex } from '../src/shared/hex.ts';
import { makeWorkload, makeWorkloadFile, type Workload } from './execution-workloads.ts';
import { measureOnWorldState } from './execution-world-state.ts';
import { peakRssMb, round } from './measure.ts';
import { custody, reference, stateRootOf } from './whole-process.ts';

const N = 2_000;
const MEMORY_N = 10_000;
const COUNTER_N = 1_000;
const WHOLE_PROCESS_RUNS = 3;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

function sameResult(a: BatchResult, b: BatchResult, what: string): void {
  if (
    bytesToHex(a.stateRoot) !== bytesToHex(b.stateRoot) ||
    bytesToHex(a.receiptsRoot) !== bytesToHex(b.receiptsRoot)
  ) {
    throw new Error(`${what}: parallel result differs from sequential`);
  }
}

async function measure(batch: Batch, withDefault: boolean): Promise<Record<string, unknown>> {
  const n = batch.txs.length;
  let defaultTps: number | null = null;
  if (withDefault) {
    const [, t] = await timed(() => runSequential(batch, { profile: 'default' }));
    defaultTps = n / t;
  }
  const [fast, tFast] = await timed(() => runSequential(batch, { profile: 'fast' }));
  let stats: unknown;
  const [par, tPar] = await timed(() => runParallel(batch, { onStats: (s) => (stats = s) }));
  sameResult(par, fast, 'parallel');
  const fastTps = n / tFast;
  const parallelTps = n / tPar;
  process.stderr.write(
    `  ${n} txs: fast ${tFast.toFixed(2)} s, parallel ${tPar.toFixed(2)} s ${JSON.stringify(stats)}\n`,
  );
  return {
    defaultTps: defaultTps === null ? null : round(defaultTps, 1),
    fastTps: round(fastTps, 1),
    parallelTps: round(parallelTps, 1),
    speedup: round(parallelTps / fastTps),
    speedupVsDefault: defaultTps === null ? null : round(parallelTps / defaultTps),
    peakRssMb: peakRssMb(),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  // Warm the pool as a running node would have it: the workers' JIT must have seen every kind
  // of transaction (measured: a cold pool runs the first 2,000 transfers 2.5x slower).
  for (const w of ['transfers', 'erc20', 'amm', 'hotspot'] as Workload[]) {
    await runParallel(makeWorkload(w, 300));
  }
  for (const w of ['transfers', 'erc20', 'amm', 'hotspot', 'mixed', 'deposits'] as Workload[]) {
    process.stderr.write(`execution: ${w}\n`);
    out[w] = await measure(makeWorkload(w, N), true);
  }
  process.stderr.write('execution: counter-middle\n');
  out['counter-middle'] = await measure(makeWorkload('counter-middle', N), false);
  process.stderr.write(`execution: counter (${COUNTER_N} txs, in process and whole process)\n`);
  out.counter = await measureCounter(COUNTER_N);
  process.stderr.write('execution: verify\n');
  out.verify = await measureVerify(makeWorkload('erc20', N));
  process.stderr.write('execution: erc20 on the world state\n');
  out['erc20-world-state'] = await measureOnWorldState('erc20', N);
  await closeWorkerPool();
  process.stderr.write(`execution: memory (${MEMORY_N} txs, each mode in a fresh process)\n`);
  out.memory10k = await measureMemory(MEMORY_N);
  return out;
}

/**
 * `counter` as the issue measures it: in process like the other workloads, and whole process
 * on one batch file: `custody exec` parallel (default workers) and sequential, against the
 * plain @ethereumjs/vm script (bench/reference-vm.mjs). `speedup` stays the in-process figure
 * against our fastest sequential run; `wholeProcess.speedup` is parallel against the faster
 * of our sequential command and the plain script.
 */
async function measureCounter(n: number): Promise<Record<string, unknown>> {
  const inProcess = await measure(makeWorkload('counter', n), true);
  const dir = mkdtempSync(join(tmpdir(), 'bench-counter-'));
  try {
    const file = join(dir, 'counter.json');
    writeFileSync(file, JSON.stringify(makeWorkloadFile('counter', n)));
    const par = await custody(WHOLE_PROCESS_RUNS, ['exec', '--batch', file, '--mode', 'parallel']);
    const seq = await custody(WHOLE_PROCESS_RUNS, [
      'exec',
      '--batch',
      file,
      '--mode',
      'sequential',
    ]);
    const plain = await reference(WHOLE_PROCESS_RUNS, file);
    const roots = new Set([par, seq, plain].map((r) => stateRootOf(r.stdout)));
    if (roots.size !== 1) throw new Error('counter: the three commands disagree on the root');
    const fastest = Math.min(seq.ms, plain.ms);
    process.stderr.write(
      `  whole process: parallel ${par.ms} ms, sequential ${seq.ms} ms, plain script ${plain.ms} ms\n`,
    );
    return {
      ...inProcess,
      wholeProcess: {
        parallelMs: par.ms,
        sequentialMs: seq.ms,
        referenceMs: plain.ms,
        speedup: round(fastest / par.ms),
        sequentialVsReference: round(plain.ms / seq.ms),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ChildReport {
  tps: number;
  stateRoot: string;
  peakRssMb: number;
}

/** One execution of a batch file in a fresh process (bench/execution-memory.ts). */
function child(file: string, mode: 'parallel' | 'sequential'): Promise<ChildReport> {
  const script = fileURLToPath(new URL('./execution-memory.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const tsx = ['--import', 'tsx', script, file, mode];
    execFile(process.execPath, tsx, { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err !== null) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as ChildReport);
    });
  });
}

/**
 * The 10,000-transaction erc20 batch: peak RSS of a process that executes it in parallel
 * (coordinator and workers are threads of that process), and of one that runs it with the
 * fast sequential configuration, for comparison.
 */
async function measureMemory(n: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-exec-'));
  const file = join(dir, 'batch.json');
  writeFileSync(file, JSON.stringify(makeWorkloadFile('erc20', n)));
  const seq = await child(file, 'sequential');
  const par = await child(file, 'parallel');
  rmSync(dir, { recursive: true, force: true });
  if (seq.stateRoot !== par.stateRoot)
    throw new Error('memory: parallel result differs from sequential');
  process.stderr.write(
    `  ${n} txs: fast ${seq.tps.toFixed(0)} tps (${seq.peakRssMb} MB), parallel ${par.tps.toFixed(0)} tps (${par.peakRssMb} MB)\n`,
  );
  return {
    defaultTps: null,
    fastTps: round(seq.tps, 1),
    parallelTps: round(par.tps, 1),
    speedup: round(par.tps / seq.tps),
    speedupVsDefault: null,
    peakRssMb: par.peakRssMb,
    peakRssMbSequential: seq.peakRssMb,
  };
}

/** verifyWithAccessList on the erc20 batch, given the list the coordinator produced. */
async function measureVerify(batch: Batch): Promise<Record<string, unknown>> {
  const n = batch.txs.length;
  const [, tDefault] = await timed(() => runSequential(batch, { profile: 'default' }));
  const [fast, tFast] = await timed(() => runSequential(batch, { profile: 'fast' }));
  const produced = await runParallel(batch, { fallback: false });
  const list = produced.accessList;
  if (list === undefined) throw new Error('no access list produced');
  const [verified, tVerify] = await timed(() => verifyWithAccessList(batch, list));
  sameResult(verified, fast, 'verify');
  process.stderr.write(`  ${n} txs: fast ${tFast.toFixed(2)} s, verify ${tVerify.toFixed(2)} s\n`);
  return {
    defaultTps: round(n / tDefault, 1),
    fastTps: round(n / tFast, 1),
    parallelTps: round(n / tVerify, 1),
    speedup: round(tFast / tVerify),
    speedupVsDefault: round(tDefault / tVerify),
    peakRssMb: peakRssMb(),
  };
}
