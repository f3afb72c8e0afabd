/**
 * Whole-process timings: a command run as a user runs it, from spawn to exit, so start-up
 * (module loading, worker threads) counts. Each figure is the median of several runs.
 */

import { execFile } from 'node:child_process';
import { projectRoot } from '../src/shared/project-root.ts';
import { percentile } from './signing-protocol-stats.ts';

export interface Timed {
  ms: number;
  /** stdout of the last run */
  stdout: string;
}

function once(cmd: string, args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: projectRoot(), maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve({ ms: performance.now() - t0, stdout });
    });
  });
}

export async function medianOf(runs: number, cmd: string, args: readonly string[]): Promise<Timed> {
  const times: number[] = [];
  let stdout = '';
  for (let i = 0; i < runs; i++) {
    const r = await once(cmd, args);
    times.push(r.ms);
    stdout = r.stdout;
  }
  return {
    ms: Math.round(
      percentile(
        times.sort((a, b) => a - b),
        50,
      ),
    ),
    stdout,
  };
}

/** `npm run -s custody -- ARGS`, exactly as the README tells a user to run it. */
export function custody(runs: number, args: readonly string[]): Promise<Timed> {
  return medianOf(runs, 'npm', ['run', '-s', 'custody', '--', ...args]);
}

/** The plain @ethereumjs/vm script (bench/reference-vm.mjs) on a batch file. */
export function reference(runs: number, file: string): Promise<Timed> {
  return medianOf(runs, process.execPath, ['bench/reference-vm.mjs', file]);
}

export function stateRootOf(stdout: string): string {
  return (JSON.parse(stdout.trim().split('\n').pop() as string) as { stateRoot: string }).stateRoot;
}
