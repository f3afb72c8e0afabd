/**
 * Executors on the persisted world state: a batch on `preStateRoot` reads its pre-state from
 * the node's LMDB tries (workers read it lazily), gives exactly the result of the same batch
 * with that state written out as `pre`, and a commit makes its post-state the next batch's
 * pre-state, across restarts. Stale and unknown pre-states are refused and change nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { BatchRejectedError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { Batch } from '../../../src/execution/types.ts';
import type { GenesisAlloc } from '../../../src/execution/world-state/genesis.ts';
import {
  openWorldState,
  StalePreStateError,
  type WorldState,
} from '../../../src/execution/world-state/world-state.ts';
import { InvalidInputError, NotFoundError } from '../../../src/shared/errors.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';
import { C, randomBatch, randomSeed } from '../support/generator.ts';
import { outcome, summary } from '../support/parity.ts';
import { type Key, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const dirs: string[] = [];
const opened: WorldState[] = [];
async function openWs(genesis: GenesisAlloc, dir = tempDir()): Promise<WorldState> {
  const ws = await openWorldState(dir, { genesis });
  opened.push(ws);
  return ws;
}
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'world-state-exec-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const ws of opened.splice(0)) await ws.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type BatchFile = Record<string, unknown> & { pre: GenesisAlloc; txs: string[] };

/** The same batch, on a state root instead of an explicit `pre`. */
function onRoot(file: BatchFile, root: string): Batch {
  const { pre: _pre, ...rest } = file;
  return parseBatch({ ...rest, preStateRoot: root });
}

describe('a batch on preStateRoot equals the same batch with that state as pre', () => {
  it('random batches, sequential and parallel (1, 2, 4 workers), then committed', {
    timeout: 600_000,
  }, async () => {
    for (let i = 0; i < 12; i++) {
      const seed = randomSeed();
      const file = randomBatch(seed, 20 + (seed % 50)) as BatchFile;
      const label = `seed ${seed}`;
      const expected = await outcome(() => runSequential(parseBatch(file)));
      const ws = await openWs(file.pre);
      const genesis = ws.headRoot();
      const batch = onRoot(file, genesis);
      const worldState = ws;
      expect(await outcome(() => runSequential(batch, { worldState })), label).toEqual(expected);
      for (const workers of [1, 2, 4]) {
        const got = await outcome(() =>
          runParallel(batch, { worldState, workers, fallback: false }),
        );
        expect(got, `${label}, ${workers} workers`).toEqual(expected);
      }
      const viaStateManager = await outcome(() =>
        runParallel(batch, { worldState, rootVia: 'stateManager' }),
      );
      expect(viaStateManager, `${label}, root through a state manager`).toEqual(expected);
      expect(ws.headRoot(), 'nothing commits unless asked').toBe(genesis);
      const committed = await outcome(() => runParallel(batch, { worldState, commit: true }));
      expect(committed, label).toEqual(expected);
      if (expected.rejected === undefined) {
        expect(ws.head()).toMatchObject({ root: expected.stateRoot, height: 1 });
      } else {
        expect(ws.headRoot(), 'a rejected batch commits nothing').toBe(genesis);
      }
    }
  });
});

describe('storage wipes on the world state', () => {
  it('an empty account with storage, touched (EIP-161 deletes it) then funded, comes back without its storage', async () => {
    const k = newKey();
    const ghost = `0x${'5e'.repeat(20)}`;
    const alloc: GenesisAlloc = {
      [k.address]: { balance: '0xde0b6b3a7640000' },
      [ghost]: { balance: '0x0', storage: { '0x1': '0x5', '0x2': '0x7' } },
    };
    const txs = [
      signTx(k, { nonce: 0n, to: ghost, value: 0n }),
      signTx(k, { nonce: 1n, to: ghost, value: 1n }),
    ];
    const f = { ...(randomBatch(1, 1) as BatchFile), pre: alloc, txs } as BatchFile;
    const expected = await outcome(() => runSequential(parseBatch(f)));
    const ws = await openWs(alloc);
    const batch = onRoot(f, ws.headRoot());
    expect(await outcome(() => runSequential(batch, { worldState: ws }))).toEqual(expected);
    for (const rootVia of ['bulk', 'stateManager'] as const) {
      expect(await outcome(() => runParallel(batch, { worldState: ws, rootVia }))).toEqual(
        expected,
      );
    }
  });
});

describe('a chain of batches on the world state', () => {
  const funder: Key = newKey();
  const file = (txs: string[], pre: GenesisAlloc): BatchFile =>
    ({ ...(randomBatch(1, 1) as BatchFile), pre, txs }) as BatchFile;
  const genesisAlloc = (): GenesisAlloc => {
    const base = (randomBatch(7, 1) as BatchFile).pre;
    return { ...base, [funder.address]: { balance: '0x56bc75e2d63100000' } };
  };
  const transfers = (from: number, n: number): string[] =>
    Array.from({ length: n }, (_, i) =>
      i % 2 === 0
        ? signTx(funder, {
            nonce: BigInt(from + i),
            to: newKey().address,
            value: 1000n + BigInt(i),
          })
        : signTx(funder, { nonce: BigInt(from + i), to: C.counter, gasLimit: 60_000n }),
    );

  it('batch N+1 runs on the committed post-state of batch N, also after a restart', {
    timeout: 300_000,
  }, async () => {
    const alloc = genesisAlloc();
    const txs1 = transfers(0, 30);
    const txs2 = transfers(30, 30);
    const txs3 = transfers(60, 10);
    // One batch holding all three gives the state the chain must reach (same environment).
    const all = await runSequential(parseBatch(file([...txs1, ...txs2, ...txs3], alloc)));
    const first = await runSequential(parseBatch(file(txs1, alloc)));

    const dir = tempDir();
    let ws = await openWs(alloc, dir);
    const r1 = await runParallel(onRoot(file(txs1, alloc), ws.headRoot()), {
      worldState: ws,
      commit: true,
    });
    expect(bytesToHex(r1.stateRoot)).toBe(bytesToHex(first.stateRoot));
    expect(r1.committed).toEqual({ root: bytesToHex(first.stateRoot), height: 1 });

    const r2 = await runSequential(onRoot(file(txs2, alloc), r1.committed!.root), {
      worldState: ws,
      commit: true,
    });
    expect(r2.committed?.height).toBe(2);

    // Restart: close, reopen the directory, continue from the persisted head.
    await ws.close();
    opened.splice(opened.indexOf(ws), 1);
    ws = await openWs(alloc, dir);
    expect(ws.head()).toMatchObject({ root: r2.committed!.root, height: 2 });
    const batch3 = onRoot(file(txs3, alloc), ws.headRoot());
    const r3 = await runParallel(batch3, { worldState: ws, workers: 2, commit: true });
    expect(bytesToHex(r3.stateRoot)).toBe(bytesToHex(all.stateRoot));
    expect(ws.head()).toMatchObject({ root: bytesToHex(all.stateRoot), height: 3 });

    // A past state can still be executed on (read-only), and verified with an access list.
    const replay = onRoot(file(txs2, alloc), r1.committed!.root);
    const again = await runParallel(replay, { worldState: ws });
    expect(summary(again)).toEqual(summary(r2));
    const verified = await verifyWithAccessList(replay, again.accessList!, { worldState: ws });
    expect(summary(verified)).toEqual(summary(r2));
  });

  it('stale pre-state: a batch built on a replaced head is refused and commits nothing', async () => {
    const alloc = genesisAlloc();
    const ws = await openWs(alloc);
    const genesis = ws.headRoot();
    await runParallel(onRoot(file(transfers(0, 4), alloc), genesis), {
      worldState: ws,
      commit: true,
    });
    const head = ws.head();
    const stale = onRoot(file(transfers(0, 4), alloc), genesis);
    await expect(runParallel(stale, { worldState: ws, commit: true })).rejects.toThrow(
      StalePreStateError,
    );
    await expect(runSequential(stale, { worldState: ws, commit: true })).rejects.toThrow(
      StalePreStateError,
    );
    expect(ws.head()).toEqual(head);
  });

  it('two commits racing on one head: exactly one wins, the other is refused as stale', async () => {
    const alloc = genesisAlloc();
    const ws = await openWs(alloc);
    const root = ws.headRoot();
    const a = runSequential(onRoot(file(transfers(0, 3), alloc), root), {
      worldState: ws,
      commit: true,
    });
    const b = runSequential(onRoot(file(transfers(0, 5), alloc), root), {
      worldState: ws,
      commit: true,
    });
    const settled = await Promise.allSettled([a, b]);
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.filter((s) => s.status === 'rejected');
    expect(won).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(StalePreStateError);
    expect(ws.head().height).toBe(1);
  });

  it('a rejected batch on the head commits nothing', async () => {
    const alloc = genesisAlloc();
    const ws = await openWs(alloc);
    const root = ws.headRoot();
    const gap = [signTx(funder, { nonce: 0n, to: C.counter }), signTx(funder, { nonce: 2n })];
    for (const run of [runParallel, runSequential]) {
      const error = await run(onRoot(file(gap, alloc), root), {
        worldState: ws,
        commit: true,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchRejectedError);
      expect((error as BatchRejectedError).index).toBe(1);
    }
    expect(ws.head()).toMatchObject({ root, height: 0 });
  });
});

describe('mistakes a caller can make', () => {
  const alloc: GenesisAlloc = { [C.counter]: { balance: '0x1' } };
  const base = (): BatchFile => ({ ...(randomBatch(3, 2) as BatchFile) });

  it('preStateRoot without a world state is refused before anything runs', async () => {
    const batch = onRoot(base(), `0x${'11'.repeat(32)}`);
    await expect(runParallel(batch)).rejects.toThrow(/preStateRoot: .*no world state/);
    await expect(runSequential(batch)).rejects.toThrow(InvalidInputError);
  });

  it('a root the node does not hold is NotFound', async () => {
    const ws = await openWs(alloc);
    const batch = onRoot(base(), `0x${'11'.repeat(32)}`);
    await expect(runParallel(batch, { worldState: ws })).rejects.toThrow(NotFoundError);
    await expect(runSequential(batch, { worldState: ws })).rejects.toThrow(NotFoundError);
  });

  it('commit of a batch with an explicit pre is refused (it does not continue the chain)', async () => {
    const ws = await openWs(alloc);
    const batch = parseBatch(base());
    await expect(runParallel(batch, { worldState: ws, commit: true })).rejects.toThrow(
      /commit: only a batch on "preStateRoot"/,
    );
    expect(ws.head().height).toBe(0);
  });

  it('a batch file with both pre and preStateRoot names the mistake', () => {
    expect(() => parseBatch({ ...base(), preStateRoot: `0x${'11'.repeat(32)}` })).toThrow(
      /pre: give either "pre" or "preStateRoot", not both/,
    );
    const { pre: _pre, ...noPre } = base();
    expect(() => parseBatch({ ...noPre, preStateRoot: '0x1234' })).toThrow(
      /preStateRoot: expected 32 bytes/,
    );
  });
});
