/**
 * The synchronous trie lookup against @ethereumjs/mpt on the same nodes: present keys,
 * absent keys that share a path prefix, embedded (short) nodes and a corrupt store.
 */
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { bytesToUnprefixedHex, MapDB, ValueEncoding } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { MissingNodeError, trieGet } from '../../../src/execution/world-state/trie-reader.ts';
import { prng, randomSeed } from '../support/generator.ts';

async function buildTrie(entries: [Uint8Array, Uint8Array][]) {
  const db = new MapDB<string, Uint8Array>();
  const trie = new MerklePatriciaTrie({ db, valueEncoding: ValueEncoding.Bytes });
  for (const [k, v] of entries) await trie.put(k, v);
  const getNode = (hex: string) => db._database.get(hex);
  return { trie, getNode, root: trie.root() };
}

describe('trieGet', () => {
  it('agrees with @ethereumjs/mpt on random keys, present and absent', async () => {
    const seed = randomSeed();
    const rand = prng(seed);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 300; i++) {
      // short values make embedded leaves; hashed keys as in a secure trie
      entries.push([keccak_256(bytes(8)), bytes(1 + Math.floor(rand() * 40))]);
    }
    const { trie, getNode, root } = await buildTrie(entries);
    for (const [k] of entries) {
      expect(trieGet(getNode, root, k), `seed ${seed}`).toEqual(await trie.get(k));
    }
    for (const [k] of entries.slice(0, 50)) {
      const near = Uint8Array.from(k);
      near[31] = (near[31] as number) ^ 1; // shares all but the last nibbles
      expect(trieGet(getNode, root, near), `seed ${seed}`).toEqual(
        (await trie.get(near)) ?? undefined,
      );
      expect(trieGet(getNode, root, keccak_256(k))).toBeUndefined();
    }
  });

  it('a missing node is reported as a corrupt world state, never as an absent key', async () => {
    const entries: [Uint8Array, Uint8Array][] = Array.from({ length: 40 }, (_, i) => [
      keccak_256(Uint8Array.of(i)),
      new Uint8Array(40).fill(i),
    ]);
    const { getNode, root } = await buildTrie(entries);
    const rootHex = bytesToUnprefixedHex(root);
    const withoutChildren = (hex: string) => (hex === rootHex ? getNode(hex) : undefined);
    expect(() => trieGet(withoutChildren, root, entries[0]![0])).toThrow(MissingNodeError);
  });
});
