/**
 * A real `custody signer` process (the product's, verifying) keeps its own rollup: each batch
 * the coordinator sends is checked by the signer's own execution (the coordinator's access list
 * first, its own parallel run when the list is refused) on its own world state, in order, and
 * the head moves only to the root the signer computed. The coordinator here is this test: it
 * runs the same batches on a world state of its own and sends what it likes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGenesis } from '../../../../src/api/coordinator/world-state.ts';
import { SignerError } from '../../../../src/api/signer/client.ts';
import { generateIdentity } from '../../../../src/custody/identity.ts';
import { encodeAccessList } from '../../../../src/execution/access-list-wire.ts';
import { parseBatch } from '../../../../src/execution/batch.ts';
import { runParallel } from '../../../../src/execution/parallel/index.ts';
import { closeWorkerPool } from '../../../../src/execution/parallel/pool.ts';
import {
  openWorldState,
  type WorldState,
} from '../../../../src/execution/world-state/world-state.ts';
import { bytesToHex } from '../../../../src/shared/hex.ts';
import { openStore } from '../../../../src/store/store.ts';
import { batchFile, newKey, signTx } from '../../../execution/support/txs.ts';
import {
  makeSignerHome,
  removeHome,
  type SignerHome,
  type SignerProcess,
  startSignerProcess,
  writeSignerConfig,
} from '../harness.ts';

const coordinator = generateIdentity();
const sender = newKey();
let dir: string;
let genesisFile: string;
let home: SignerHome;
let signer: SignerProcess;
let ws: WorldState;
let nonce = 0n;

interface Sent {
  number: number;
  batch: Record<string, unknown>;
  stateRoot: string;
  accessList: unknown;
}

function config(extra: Record<string, unknown> = {}) {
  return { rollup: { genesisFile }, bitcoin: { network: 'litecoin-regtest' }, ...extra };
}

/** The next batch on this test's own head: `count` transfers, run (and committed) here first. */
async function nextBatch(number: number, count = 3): Promise<Sent> {
  const txs = Array.from({ length: count }, () =>
    signTx(sender, { nonce: nonce++, to: newKey().address, value: 1_000n, gasLimit: 21_000n }),
  );
  const { pre: _pre, ...file } = batchFile({ pre: {}, txs });
  const batch = { ...file, preStateRoot: ws.headRoot() };
  const result = await runParallel(parseBatch(batch), { worldState: ws, commit: true });
  return {
    number,
    batch,
    stateRoot: bytesToHex(result.stateRoot),
    accessList: encodeAccessList(result.accessList ?? []),
  };
}

async function refusal(body: unknown): Promise<SignerError> {
  try {
    await signer.client.post('/v1/rollup/batches', body);
  } catch (error) {
    if (error instanceof SignerError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const head = () => signer.client.get<{ number: number; stateRoot: string }>('/v1/rollup/head');

async function auditActions(): Promise<{ action: string; data: string }[]> {
  const store = await openStore({ databaseUrl: `file:${path.join(home.dir, 'signer.db')}` });
  try {
    return await store.db.auditEntry.findMany({
      orderBy: { seq: 'asc' },
      select: { action: true, data: true },
    });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'signer-rollup-'));
  genesisFile = path.join(dir, 'genesis.json');
  writeFileSync(
    genesisFile,
    JSON.stringify({
      config: { chainId: 4242 },
      alloc: { [sender.address]: { balance: `0x${(10n ** 24n).toString(16)}` } },
    }),
  );
  const genesis = nodeGenesis({ genesisFile, network: 'litecoin-regtest' });
  ws = await openWorldState(path.join(dir, 'coordinator-state'), { genesis: genesis.alloc });
  home = makeSignerHome('rollup', coordinator.publicKey, config());
  signer = await startSignerProcess(home, coordinator, 'verifying');
}, 60_000);

afterAll(async () => {
  await signer?.stop();
  await ws?.close();
  await closeWorkerPool();
  if (home) removeHome(home);
  rmSync(dir, { recursive: true, force: true });
});

describe('a signer keeps its own rollup', () => {
  let first: Sent;
  let second: Sent;

  it('starts at its own genesis: batch 0 with the genesis root of its own config', async () => {
    expect(await head()).toMatchObject({ number: 0, stateRoot: ws.head().genesisRoot });
  });

  it("verifies a batch by the coordinator's access list and moves its head to its own root", async () => {
    first = await nextBatch(1);
    const ok = await signer.client.post<Record<string, unknown>>('/v1/rollup/batches', first);
    expect(ok).toMatchObject({ number: 1, stateRoot: first.stateRoot, checkedBy: 'access-list' });
    expect(await head()).toMatchObject({ number: 1, stateRoot: first.stateRoot });
  });

  it('the same batch again is answered as before (a coordinator retrying)', async () => {
    const again = await signer.client.post<Record<string, unknown>>('/v1/rollup/batches', first);
    expect(again).toMatchObject({ number: 1, stateRoot: first.stateRoot, replayed: true });
  });

  it("a batch whose access list lies: the signer falls back to its own execution, then refuses the coordinator's root", async () => {
    second = await nextBatch(2);
    const lie = structuredClone(second.accessList) as { writes: [string, unknown][] }[];
    const balance = lie[0]?.writes.find(([key]) => key.startsWith('b'));
    if (balance === undefined) throw new Error('no balance write to lie about');
    balance[1] = '0x1';
    const claimed = `0x${'ee'.repeat(32)}`;
    const e = await refusal({ ...second, accessList: lie, stateRoot: claimed });
    expect(e.status).toBe(409);
    expect(e.problem).toMatchObject({
      reason: 'state-root-differs',
      checkedBy: 'execution',
      ownStateRoot: second.stateRoot,
    });
    expect(String(e.problem.accessListRefused)).toMatch(/^transaction 0: /);
    expect(await head()).toMatchObject({ number: 1, stateRoot: first.stateRoot });
    const refused = (await auditActions()).filter((a) => a.action === 'rollup.batch.refused');
    expect(refused.at(-1)?.data).toContain('state-root-differs');
  });

  it('a lying access list with the true root: the signer executes the batch itself and takes it', async () => {
    const lie = structuredClone(second.accessList) as { reads: string[] }[];
    lie[1]?.reads.splice(0, 1);
    const ok = await signer.client.post<Record<string, unknown>>('/v1/rollup/batches', {
      ...second,
      accessList: lie,
    });
    expect(ok).toMatchObject({ number: 2, stateRoot: second.stateRoot, checkedBy: 'execution' });
    expect(String(ok.accessListRefused)).toMatch(/^transaction 1: /);
  });

  it('a batch that skips ahead of its head is refused (not-next)', async () => {
    const third = await nextBatch(3);
    const e = await refusal({ ...third, number: 4 });
    expect(e.problem).toMatchObject({ reason: 'not-next', head: 2 });
    // sent in order it is taken
    const ok = await signer.client.post<Record<string, unknown>>('/v1/rollup/batches', third);
    expect(ok).toMatchObject({ number: 3, checkedBy: 'access-list' });
  });

  it('a batch built on another state than its head is refused (wrong-pre-state)', async () => {
    const e = await refusal({
      ...first,
      number: 4,
      batch: { ...first.batch, preStateRoot: first.stateRoot },
    });
    expect(e.problem).toMatchObject({ reason: 'wrong-pre-state' });
  });

  it('another batch under a number it already verified is refused (conflicting-batch)', async () => {
    const e = await refusal({
      ...second,
      number: 1,
      batch: { ...second.batch, preStateRoot: ws.head().genesisRoot },
    });
    expect(e.problem).toMatchObject({ reason: 'conflicting-batch' });
    const wrongRoot = await refusal({ ...first, stateRoot: second.stateRoot });
    expect(wrongRoot.problem).toMatchObject({ reason: 'state-root-differs' });
  });

  it('malformed submissions are refused with the field named, and change nothing', async () => {
    const before = await head();
    const badHex = await refusal({ ...first, number: 4, batch: { ...first.batch, txs: ['0xzz'] } });
    expect(badHex.status).toBe(400);
    expect(String(badHex.problem.field)).toMatch(/^batch\.txs/);
    expect((await refusal({ ...first, number: 4, stateRoot: '0x12' })).problem.field).toBe(
      'stateRoot',
    );
    expect((await refusal({ ...first, number: 0 })).problem.field).toBe('number');
    expect((await refusal({ ...first, extra: 1 })).problem.field).toBe('extra');
    expect(
      (await refusal({ ...first, number: 4, accessList: [{ reads: 'x' }] })).problem.field,
    ).toMatch(/^accessList\[0\]/);
    expect(await head()).toEqual(before);
  });

  it('a signer killed after its world state committed finishes the batch when it restarts, and keeps its records', async () => {
    const fourth = await nextBatch(4);
    await signer.stop();
    writeSignerConfig(home, coordinator.publicKey, config({ crashAt: 'rollup:after-commit' }));
    signer = await startSignerProcess(home, coordinator, 'verifying');
    await expect(signer.client.post('/v1/rollup/batches', fourth)).rejects.toThrow();
    await signer.exited;
    writeSignerConfig(home, coordinator.publicKey, config());
    signer = await startSignerProcess(home, coordinator, 'verifying');
    expect(await head()).toMatchObject({ number: 4, stateRoot: fourth.stateRoot });
    const again = await signer.client.post<Record<string, unknown>>('/v1/rollup/batches', fourth);
    expect(again).toMatchObject({ number: 4, replayed: true });
    const verified = (await auditActions()).filter((a) => a.action === 'rollup.batch.verified');
    expect(verified.map((a) => JSON.parse(a.data).stateRoot)).toHaveLength(4);
  });
});
