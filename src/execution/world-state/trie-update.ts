/**
 * Many updates to a persisted Merkle-Patricia trie at once. @ethereumjs/mpt applies a batch's
 * writes one key at a time, hashing and staging every intermediate version of each path
 * (measured: applying and hashing 2,000 accounts' writes took longer than executing them).
 * Here the sorted updates descend the trie together: a subtree no update reaches stays a hash
 * and is never read, every touched node is rebuilt once and hashed once, and the result holds
 * only the nodes of the new trie.
 *
 * Node shapes and references (yellow paper, appendix D):
 *   branch    [child0 .. child15, value]
 *   leaf      [HP(path, true), value]
 *   extension [HP(path, false), child]
 *   "a node whose RLP is shorter than 32 bytes is embedded in its parent, else referenced by
 *    its keccak256"; the root is always referenced by hash.
 * After deletions the trie is kept canonical: a branch left with one child and no value
 * becomes an extension or merges into its child, an extension merges with an extension or
 * leaf below it. Checked against @ethereumjs/mpt by test/execution/world-state.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToUnprefixedHex } from '@ethereumjs/util';
import {
  compareNibbles as compare,
  encodeList,
  encodeString,
  hexPrefix,
  sharedPrefixEnd,
  toNibbles,
} from '../trie.ts';
import { MissingNodeError } from './trie-reader.ts';

type Decoded = Uint8Array | Decoded[];
type Keccak = (data: Uint8Array) => Uint8Array;
export type GetNode = (hexKey: string) => Uint8Array | undefined;

type Ref = { t: 'hash'; hash: Uint8Array } | { t: 'node'; node: TrieNode };
type TrieNode =
  | { t: 'leaf'; path: number[]; value: Uint8Array }
  | { t: 'ext'; path: number[]; child: Ref }
  | { t: 'branch'; children: (Ref | null)[]; value: Uint8Array | null };

/** A key (already hashed for a secure trie) and its new value; null deletes it. */
export type TrieUpdate = [key: Uint8Array, value: Uint8Array | null];

interface Item {
  nibbles: Uint8Array;
  value: Uint8Array | null;
}

export interface TrieUpdateResult {
  root: Uint8Array;
  /** Nodes of the new trie that this update created, by hex hash (the root included). */
  nodes: Map<string, Uint8Array>;
}

export function updateTrie(
  getNode: GetNode,
  root: Uint8Array | null,
  updates: Iterable<TrieUpdate>,
  keccak: Keccak,
): TrieUpdateResult {
  const items = [...updates].map(([k, v]) => ({ nibbles: toNibbles(k), value: v }));
  items.sort((a, b) => compare(a.nibbles, b.nibbles));
  for (let i = 1; i < items.length; i++) {
    if (compare((items[i - 1] as Item).nibbles, (items[i] as Item).nibbles) === 0) {
      throw new Error('updateTrie: the same key is updated twice');
    }
  }
  const updater = new Updater(getNode);
  const start: Ref | null = root === null ? null : { t: 'hash', hash: root };
  const next = updater.update(start, items, 0, items.length, 0);
  const nodes = new Map<string, Uint8Array>();
  const encoder = new Encoder(keccak, nodes);
  if (next === null) return { root: keccak(EMPTY_STRING), nodes };
  if (next.t === 'hash') return { root: next.hash, nodes };
  const encoded = encoder.encode(next.node);
  const hash = keccak(encoded);
  nodes.set(bytesToUnprefixedHex(hash), encoded);
  return { root: hash, nodes };
}

class Updater {
  constructor(private readonly getNode: GetNode) {}

  /** The subtree at `ref` (below `depth` nibbles) with items[lo, hi) applied. */
  update(ref: Ref | null, items: Item[], lo: number, hi: number, depth: number): Ref | null {
    if (lo === hi) return ref;
    if (ref === null) return build(items, lo, hi, depth);
    const node = this.load(ref);
    if (node.t === 'leaf') return this.updateLeaf(node, items, lo, hi, depth);
    if (node.t === 'ext') return this.updateExt(node, items, lo, hi, depth);
    return this.updateBranch(node, items, lo, hi, depth);
  }

  /** A leaf is one more item: merge it with the updates (an update of its key wins). */
  private updateLeaf(
    leaf: Extract<TrieNode, { t: 'leaf' }>,
    items: Item[],
    lo: number,
    hi: number,
    depth: number,
  ): Ref | null {
    const key = new Uint8Array(depth + leaf.path.length);
    key.set((items[lo] as Item).nibbles.subarray(0, depth));
    key.set(leaf.path, depth);
    const merged = items.slice(lo, hi);
    if (!merged.some((it) => compare(it.nibbles, key) === 0)) {
      merged.push({ nibbles: key, value: leaf.value });
      merged.sort((a, b) => compare(a.nibbles, b.nibbles));
    }
    return build(merged, 0, merged.length, depth);
  }

  private updateExt(
    ext: Extract<TrieNode, { t: 'ext' }>,
    items: Item[],
    lo: number,
    hi: number,
    depth: number,
  ): Ref | null {
    const { path } = ext;
    const allBelow = items
      .slice(lo, hi)
      .every((it) => path.every((nib, i) => it.nibbles[depth + i] === nib));
    if (allBelow) {
      const child = this.update(ext.child, items, lo, hi, depth + path.length);
      return this.prefixed(path, child);
    }
    // Some update leaves the shared path: continue as the branch this extension stands for.
    const children: (Ref | null)[] = new Array(16).fill(null);
    children[path[0] as number] =
      path.length === 1 ? ext.child : node({ t: 'ext', path: path.slice(1), child: ext.child });
    return this.updateBranch({ t: 'branch', children, value: null }, items, lo, hi, depth);
  }

  private updateBranch(
    branch: Extract<TrieNode, { t: 'branch' }>,
    items: Item[],
    lo: number,
    hi: number,
    depth: number,
  ): Ref | null {
    const children = [...branch.children];
    let value = branch.value;
    let i = lo;
    if ((items[i] as Item).nibbles.length === depth) {
      value = (items[i] as Item).value; // a key ending here (never in a secure trie)
      i++;
    }
    while (i < hi) {
      const nib = (items[i] as Item).nibbles[depth] as number;
      let j = i;
      while (j < hi && (items[j] as Item).nibbles[depth] === nib) j++;
      children[nib] = this.update(children[nib] ?? null, items, i, j, depth + 1);
      i = j;
    }
    return this.normalizedBranch(children, value);
  }

  /** A branch with fewer than two entries is not canonical: fold it. */
  private normalizedBranch(children: (Ref | null)[], value: Uint8Array | null): Ref | null {
    const used: number[] = [];
    children.forEach((c, nib) => {
      if (c !== null) used.push(nib);
    });
    if (used.length === 0) return value === null ? null : node({ t: 'leaf', path: [], value });
    if (used.length === 1 && value === null) {
      const nib = used[0] as number;
      return this.prefixed([nib], children[nib] as Ref);
    }
    return node({ t: 'branch', children, value });
  }

  /** `path` in front of `child`: merged into a leaf or extension, or an extension to a branch. */
  private prefixed(path: number[], child: Ref | null): Ref | null {
    if (child === null) return null;
    if (path.length === 0) return child;
    const c = this.load(child);
    if (c.t === 'leaf') return node({ t: 'leaf', path: [...path, ...c.path], value: c.value });
    if (c.t === 'ext') return node({ t: 'ext', path: [...path, ...c.path], child: c.child });
    return node({ t: 'ext', path, child });
  }

  private load(ref: Ref): TrieNode {
    if (ref.t === 'node') return ref.node;
    const hex = bytesToUnprefixedHex(ref.hash);
    const bytes = this.getNode(hex);
    if (bytes === undefined) throw new MissingNodeError(hex);
    return fromDecoded(RLP.decode(bytes) as Decoded);
  }
}

/** A new subtree holding the non-deleted items[lo, hi) below `depth`. */
function build(items: Item[], lo: number, hi: number, depth: number): Ref | null {
  const live = items.slice(lo, hi).filter((it) => it.value !== null);
  if (live.length === 0) return null;
  return buildLive(live, 0, live.length, depth);
}

function buildLive(items: Item[], lo: number, hi: number, depth: number): Ref {
  const first = items[lo] as Item;
  if (hi - lo === 1) {
    const path = [...first.nibbles.subarray(depth)];
    return node({ t: 'leaf', path, value: first.value as Uint8Array });
  }
  const shared = sharedPrefixEnd(first.nibbles, (items[hi - 1] as Item).nibbles, depth);
  const children: (Ref | null)[] = new Array(16).fill(null);
  let value: Uint8Array | null = null;
  let i = lo;
  if ((items[i] as Item).nibbles.length === shared) {
    value = (items[i] as Item).value;
    i++;
  }
  while (i < hi) {
    const nib = (items[i] as Item).nibbles[shared] as number;
    let j = i;
    while (j < hi && (items[j] as Item).nibbles[shared] === nib) j++;
    children[nib] = buildLive(items, i, j, shared + 1);
    i = j;
  }
  const branch = node({ t: 'branch', children, value });
  if (shared === depth) return branch;
  return node({ t: 'ext', path: [...first.nibbles.subarray(depth, shared)], child: branch });
}

function node(n: TrieNode): Ref {
  return { t: 'node', node: n };
}

function fromDecoded(d: Decoded): TrieNode {
  if (!Array.isArray(d)) throw new Error('world state is corrupt: a trie node is not a list');
  if (d.length === 17) {
    const children = d.slice(0, 16).map(childRef);
    const v = d[16] as Uint8Array;
    return { t: 'branch', children, value: v.length === 0 ? null : v };
  }
  if (d.length !== 2) throw new Error(`world state is corrupt: a ${d.length}-item node`);
  const hp = toNibbles(d[0] as Uint8Array);
  const flag = hp[0] as number;
  const path = [...hp.subarray((flag & 1) === 1 ? 1 : 2)];
  if (flag >= 2) return { t: 'leaf', path, value: d[1] as Uint8Array };
  return { t: 'ext', path, child: childRef(d[1] as Decoded) as Ref };
}

function childRef(d: Decoded): Ref | null {
  if (Array.isArray(d)) return node(fromDecoded(d));
  if (d.length === 0) return null;
  return { t: 'hash', hash: d };
}

class Encoder {
  constructor(
    private readonly keccak: Keccak,
    private readonly nodes: Map<string, Uint8Array>,
  ) {}

  encode(n: TrieNode): Uint8Array {
    if (n.t === 'leaf')
      return encodeList([
        encodeString(hexPrefix(Uint8Array.from(n.path), 0, n.path.length, true)),
        encodeString(n.value),
      ]);
    if (n.t === 'ext') {
      return encodeList([
        encodeString(hexPrefix(Uint8Array.from(n.path), 0, n.path.length, false)),
        this.reference(n.child),
      ]);
    }
    const items = n.children.map((c) => (c === null ? EMPTY_STRING : this.reference(c)));
    items.push(encodeString(n.value ?? new Uint8Array(0)));
    return encodeList(items);
  }

  /** How a parent holds a child: its RLP when shorter than 32 bytes, else its hash. */
  private reference(ref: Ref): Uint8Array {
    if (ref.t === 'hash') return encodeString(ref.hash);
    const encoded = this.encode(ref.node);
    if (encoded.length < 32) return encoded;
    const hash = this.keccak(encoded);
    this.nodes.set(bytesToUnprefixedHex(hash), encoded);
    return encodeString(hash);
  }
}

const EMPTY_STRING = new Uint8Array([0x80]);
