/**
 * updateTrie against @ethereumjs/mpt applying the same updates one by one: same root, and the
 * new nodes plus the old store hold the whole new trie. Random rounds of inserts, overwrites
 * and deletes over hashed keys with short values (embedded nodes) and long ones, including
 * deletes that fold branches and merge extensions, and deleting everything.
 */
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import {
  bytesToHex,
  bytesToUnprefixedHex,
  KECCAK256_RLP,
  MapDB,
  ValueEncoding,
} from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { trieGet } from '../../../src/execution/world-state/trie-reader.ts';
import { type TrieUpdate, updateTrie } from '../../../src/execution/world-state/trie-update.ts';
import { prng, randomSeed } from '../support/generator.ts';

function setup() {
  const db = new MapDB<string, Uint8Array>();
  const trie = new MerklePatriciaTrie({ db, valueEncoding: ValueEncoding.Bytes });
  const store = new Map<string, Uint8Array>();
  const getNode = (hex: string) => store.get(hex) ?? db._database.get(hex);
  return { trie, store, getNode };
}

describe('updateTrie', () => {
  it('matches @ethereumjs/mpt over random rounds of inserts, overwrites and deletes', async () => {
    const seed = randomSeed();
    const rand = prng(seed);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const { trie, store, getNode } = setup();
    let root: Uint8Array | null = null;
    const live = new Map<string, Uint8Array>();
    for (let round = 0; round < 30; round++) {
      const updates = new Map<string, Uint8Array | null>();
      const n = 1 + Math.floor(rand() * 60);
      for (let i = 0; i < n; i++) {
        const existing = [...live.keys()];
        const r = rand();
        if (r < 0.35 && existing.length > 0) {
          updates.set(existing[Math.floor(rand() * existing.length)] as string, null);
        } else if (r < 0.5 && existing.length > 0) {
          updates.set(
            existing[Math.floor(rand() * existing.length)] as string,
            bytes(1 + Math.floor(rand() * 40)),
          );
        } else {
          // few key bytes vary so paths share long prefixes (extensions, deep branches)
          const key = keccak_256(Uint8Array.of(Math.floor(rand() * 4), Math.floor(rand() * 200)));
          updates.set(bytesToUnprefixedHex(key), bytes(1 + Math.floor(rand() * 40)));
        }
      }
      const list: TrieUpdate[] = [...updates].map(([k, v]) => [Buffer.from(k, 'hex'), v]);
      const result = updateTrie(getNode, root, list, keccak_256);
      for (const [k, v] of list) {
        if (v === null) await trie.del(k);
        else await trie.put(k, v);
        const hex = bytesToUnprefixedHex(k);
        if (v === null) live.delete(hex);
        else live.set(hex, v);
      }
      expect(bytesToHex(result.root), `seed ${seed} round ${round}`).toBe(bytesToHex(trie.root()));
      for (const [k, v] of result.nodes) store.set(k, v);
      root = result.root;
      for (const [k, v] of live) {
        const got = trieGet(getNode, root, Buffer.from(k, 'hex'));
        expect(got && bytesToHex(got), `seed ${seed} round ${round}`).toBe(bytesToHex(v));
      }
    }
  });

  it('deleting every key gives the empty root; no update keeps the root', () => {
    const { store, getNode } = setup();
    const keys = Array.from({ length: 20 }, (_, i) => keccak_256(Uint8Array.of(i)));
    const first = updateTrie(
      getNode,
      null,
      keys.map((k) => [k, new Uint8Array(33).fill(1)]),
      keccak_256,
    );
    for (const [k, v] of first.nodes) store.set(k, v);
    expect(updateTrie(getNode, first.root, [], keccak_256).root).toEqual(first.root);
    const cleared = updateTrie(
      getNode,
      first.root,
      keys.map((k) => [k, null]),
      keccak_256,
    );
    expect(bytesToHex(cleared.root)).toBe(bytesToHex(KECCAK256_RLP));
  });

  it('refuses the same key twice (an ambiguous update)', () => {
    const k = keccak_256(Uint8Array.of(1));
    expect(() =>
      updateTrie(
        () => undefined,
        null,
        [
          [k, Uint8Array.of(1)],
          [k, null],
        ],
        keccak_256,
      ),
    ).toThrow(/twice/);
  });
});
