/**
 * A node whose world state is corrupt must say so, never call a valid batch invalid (a signer
 * would refuse a good batch for a made-up reason) and never run missing code as empty code
 * (it would compute a wrong root). Nodes are removed from the LMDB store behind the world
 * state's back, as a damaged disk would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Address, bytesToUnprefixedHex, hexToBytes } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { open } from 'lmdb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { ExecutionFaultError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import type { GenesisAlloc } from '../../../src/execution/world-state/genesis.ts';
import { openWorldState } from '../../../src/execution/world-state/world-state.ts';
import { COUNTER } from '../support/contracts.ts';
import { C } from '../support/generator.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sender = newKey();
const alloc: GenesisAlloc = {
  [sender.address]: { balance: '0xde0b6b3a7640000' },
  [C.counter]: { balance: '0x0', code: COUNTER, storage: { '0x0': '0x5' } },
};

/** A world state holding `alloc`, with the node `pick` chooses removed from its store. */
async function corrupted(pick: (storageRoot: string) => string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'world-state-corrupt-'));
  dirs.push(dir);
  const ws = await openWorldState(dir, { genesis: alloc });
  const account = await ws
    .stateManagerAt()
    .getAccount(new Address(hexToBytes(C.counter as `0x${string}`)));
  await ws.close();
  const env = open({ path: dir, maxDbs: 4, compression: false });
  const nodes = env.openDB({ name: 'nodes', keyEncoding: 'binary', encoding: 'binary' });
  const key = pick(bytesToUnprefixedHex(account!.storageRoot));
  expect(await nodes.remove(Buffer.from(key, 'hex'))).toBe(true);
  await env.close();
  return dir;
}

async function runBoth(dir: string): Promise<unknown[]> {
  const ws = await openWorldState(dir, { genesis: alloc });
  try {
    const { pre: _pre, ...file } = batchFile({
      pre: {},
      txs: [signTx(sender, { nonce: 0n, to: C.counter, gasLimit: 80_000n })],
    });
    const batch = parseBatch({ ...file, preStateRoot: ws.headRoot() });
    return [
      await runSequential(batch, { worldState: ws }).catch((e: unknown) => e),
      await runParallel(batch, { worldState: ws, workers: 2 }).catch((e: unknown) => e),
    ];
  } finally {
    await ws.close();
  }
}

describe('a corrupt world state is a node fault, never a rejected batch', () => {
  it('missing contract code is not run as empty code', async () => {
    const codeKey = `63${bytesToUnprefixedHex(keccak_256(hexToBytes(COUNTER as `0x${string}`)))}`;
    const [seq, par] = await runBoth(await corrupted(() => codeKey));
    expect(seq).toBeInstanceOf(ExecutionFaultError);
    expect((seq as Error).message).toMatch(
      /transaction 0: world state is corrupt: code [0-9a-f]{64} is missing/,
    );
    expect(par).toBeInstanceOf(ExecutionFaultError);
    expect((par as Error).message).toMatch(/transaction 0: code [0-9a-f]{64} not in the replica/);
  });

  it('a missing storage trie node is not read as an empty slot', async () => {
    const [seq, par] = await runBoth(await corrupted((storageRoot) => storageRoot));
    expect(seq).toBeInstanceOf(ExecutionFaultError);
    expect((seq as Error).message).toMatch(
      /transaction 0: world state is corrupt: trie node [0-9a-f]{64} is missing/,
    );
    expect(par).toBeInstanceOf(ExecutionFaultError);
    expect((par as Error).message).toMatch(
      /transaction 0: world state is corrupt: trie node [0-9a-f]{64} is missing/,
    );
  });
});
