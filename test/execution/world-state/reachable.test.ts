import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  createAccount,
  setLengthLeft,
  ValueEncoding,
} from '@ethereumjs/util';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeStore } from '../../../src/execution/world-state/node-store.ts';
import {
  MissingTrieNodeError,
  reachableWrites,
} from '../../../src/execution/world-state/reachable.ts';
import { StagedTrieDB } from '../../../src/execution/world-state/staged-db.ts';
import { openWorldState, type WorldState } from '../../../src/execution/world-state/world-state.ts';

const dirs: string[] = [];
const toClose: { close(): Promise<void> }[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'world-state-reach-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const c of toClose.splice(0)) await c.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const address = (i: number) => new Address(setLengthLeft(bigIntToBytes(0x20000n + BigInt(i)), 20));
const slot = (i: number) => setLengthLeft(bigIntToBytes(BigInt(i)), 32);

async function fill(ws: WorldState, accounts: number, round: bigint) {
  const sm = ws.stateManagerAt();
  for (let i = 0; i < accounts; i++) {
    await sm.putAccount(address(i), createAccount({ balance: round * 1000n + BigInt(i) }));
    await sm.putStorage(address(i), slot(i % 7), bigIntToBytes(round + BigInt(i)));
    if (i % 50 === 0) await sm.putCode(address(i), Uint8Array.of(0x60, i % 256, 0x00));
  }
  return sm;
}

describe('commits write only the nodes the new root reaches', () => {
  it('drops intermediate trie versions, and the reopened state is complete', async () => {
    const dir = tempDir();
    let ws = await openWorldState(dir);
    const sm = await fill(ws, 300, 1n);
    const first = await ws.commitFrom(sm);
    expect(first.nodesWritten).toBeLessThan(first.nodesStaged);
    // a batch that only reads re-stages nothing new: nothing to write
    for (let i = 0; i < 300; i++) await sm.getAccount(address(i));
    expect((await ws.commitFrom(sm)).nodesWritten).toBe(0);
    await ws.close();

    ws = await openWorldState(dir);
    toClose.push(ws);
    const reopened = ws.stateManagerAt();
    for (let i = 0; i < 300; i++) {
      expect((await reopened.getAccount(address(i)))?.balance).toBe(1000n + BigInt(i));
      expect(await reopened.getStorage(address(i), slot(i % 7))).toEqual(
        bigIntToBytes(1n + BigInt(i)),
      );
      if (i % 50 === 0)
        expect(await reopened.getCode(address(i))).toEqual(Uint8Array.of(0x60, i % 256, 0x00));
    }
  });

  it('refuses a state whose root reaches a trie node or code that exists nowhere', async () => {
    const store = NodeStore.open(tempDir());
    toClose.push(store);
    const db = new StagedTrieDB(store);
    const trie = new MerklePatriciaTrie({
      db,
      useKeyHashing: true,
      valueEncoding: ValueEncoding.Bytes,
    });
    const sm = new MerkleStateManager({ trie, caches: new Caches() });
    for (let i = 0; i < 60; i++) {
      await sm.putAccount(address(i), createAccount({ balance: BigInt(i + 1) }));
      await sm.putStorage(address(i), slot(i), bigIntToBytes(BigInt(i + 1)));
    }
    await sm.putCode(address(3), Uint8Array.of(0x60, 0x01, 0x00));
    const root = bytesToHex(await sm.getStateRoot());
    const isStored = (key: string) => store.hasNode(key);
    const staged = new Map(db.stagedWrites());
    const live = reachableWrites(root, staged, isStored);
    expect(live.size).toBeLessThan(staged.size);

    const codeKey = [...live.keys()].find((k) => k.startsWith('63') && k.length === 66)!;
    const withoutCode = new Map(staged);
    withoutCode.delete(codeKey);
    expect(() => reachableWrites(root, withoutCode, isStored)).toThrow(MissingTrieNodeError);

    const innerNode = [...live.keys()].find((k) => k !== root.slice(2) && k.length === 64)!;
    const withoutNode = new Map(staged);
    withoutNode.delete(innerNode);
    expect(() => reachableWrites(root, withoutNode, isStored)).toThrow(MissingTrieNodeError);
  });
});
