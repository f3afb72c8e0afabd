/**
 * The erc20 workload on the persisted world state (LMDB), as a node runs it: the batch names
 * `preStateRoot` instead of carrying `pre`. `fastTps`: the fast sequential executor on that
 * root (no commit); `parallelTps`: runParallel on it, including the durable commit of the
 * post-state as the new head. `defaultTps` is not measured here (the world state always
 * runs with caches). The two roots must agree, and the committed head must be that root.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBatch } from '../src/execution/batch.ts';
import { runParallel } from '../src/execution/parallel/index.ts';
import { runSequential } from '../src/execution/sequential.ts';
import type { GenesisAlloc } from '../src/execution/world-state/genesis.ts';
import { openWorldState } from '../src/execution/world-state/world-state.ts';
import { bytesToHex } from '../src/shared/hex.ts';
import { makeWorkloadFile, type Workload } from './execution-workloads.ts';

export async function measureOnWorldState(
  kind: Workload,
  n: number,
): Promise<Record<string, unknown>> {
  const { pre, ...rest } = makeWorkloadFile(kind, n) as { pre: GenesisAlloc };
  const dir = mkdtempSync(join(tmpdir(), 'bench-world-state-'));
  const ws = await openWorldState(dir, { genesis: pre });
  try {
    const batch = parseBatch({ ...rest, preStateRoot: ws.headRoot() });
    const t0 = performance.now();
    const fast = await runSequential(batch, { worldState: ws });
    const tFast = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const par = await runParallel(batch, { worldState: ws, commit: true });
    const tPar = (performance.now() - t1) / 1000;
    const root = bytesToHex(fast.stateRoot);
    if (bytesToHex(par.stateRoot) !== root || ws.headRoot() !== root) {
      throw new Error(`${kind} on the world state: parallel result differs from sequential`);
    }
    process.stderr.write(
      `  ${n} txs on LMDB: fast ${tFast.toFixed(2)} s, parallel + commit ${tPar.toFixed(2)} s\n`,
    );
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      defaultTps: null,
      fastTps: round(n / tFast, 1),
      parallelTps: round(n / tPar, 1),
      speedup: round(tFast / tPar),
      speedupVsDefault: null,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
