/**
 * Merkle-Patricia trie roots built in one pass from a complete key/value set (Yellow Paper,
 * appendix D), instead of one insertion at a time. The parallel executor knows the batch's
 * whole final state (the explicit `pre` plus the final writes), so it needs no trie database:
 * sort the keys, build bottom-up, hash every node once.
 *
 *   leaf      [HP(rest, true), value]
 *   extension [HP(shared, false), child]
 *   branch    [child0 .. child15, value]
 * A child whose RLP is shorter than 32 bytes is embedded, otherwise referenced by its keccak.
 * The root is always hashed. Checked against @ethereumjs/mpt by the state tests.
 */
export type Keccak = (data: Uint8Array) => Uint8Array;

interface Item {
  nibbles: Uint8Array;
  value: Uint8Array;
}

export function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = (key[i] as number) >> 4;
    out[2 * i + 1] = (key[i] as number) & 15;
  }
  return out;
}

/** Hex-prefix encoding (appendix C) of nibbles[from, to). */
export function hexPrefix(
  nibbles: Uint8Array,
  from: number,
  to: number,
  leaf: boolean,
): Uint8Array {
  const len = to - from;
  const odd = len % 2;
  const out = new Uint8Array(1 + (len >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = from;
  if (odd === 1) {
    out[0] = (out[0] as number) | (nibbles[i] as number);
    i++;
  }
  for (let j = 1; i < to; i += 2, j++)
    out[j] = ((nibbles[i] as number) << 4) | (nibbles[i + 1] as number);
  return out;
}

/** Where `a` and `b` (sorted items' first and last keys) stop agreeing, from `depth` on. */
export function sharedPrefixEnd(a: Uint8Array, b: Uint8Array, depth: number): number {
  let shared = depth;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  return shared;
}

export function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

export class TrieBuilder {
  constructor(private readonly keccak: Keccak) {}

  /** Root of the trie holding `entries` (keys used as given: hash them first for secure tries). */
  root(entries: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
    const items: Item[] = [];
    for (const [k, v] of entries) items.push({ nibbles: toNibbles(k), value: v });
    if (items.length === 0) return this.keccak(EMPTY_STRING);
    items.sort((a, b) => compareNibbles(a.nibbles, b.nibbles));
    return this.keccak(this.node(items, 0, items.length, 0));
  }

  /** Secure trie (state, storage): keys are keccak256 of the given keys. */
  secureRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Uint8Array {
    const hashed: [Uint8Array, Uint8Array][] = [];
    for (const [k, v] of entries) hashed.push([this.keccak(k), v]);
    return this.root(hashed);
  }

  /** How a parent holds a child: the child's RLP itself when short, else its hash. */
  private ref(encoded: Uint8Array): Uint8Array {
    return encoded.length < 32 ? encoded : encodeString(this.keccak(encoded));
  }

  /** The RLP encoding of the node holding items[lo, hi) below `depth` nibbles. */
  private node(items: Item[], lo: number, hi: number, depth: number): Uint8Array {
    const first = items[lo] as Item;
    if (hi - lo === 1) {
      const path = hexPrefix(first.nibbles, depth, first.nibbles.length, true);
      return encodeList([encodeString(path), encodeString(first.value)]);
    }
    const shared = sharedPrefixEnd(first.nibbles, (items[hi - 1] as Item).nibbles, depth);
    if (shared > depth) {
      const path = hexPrefix(first.nibbles, depth, shared, false);
      return encodeList([encodeString(path), this.ref(this.branch(items, lo, hi, shared))]);
    }
    return this.branch(items, lo, hi, depth);
  }

  private branch(items: Item[], lo: number, hi: number, depth: number): Uint8Array {
    const children: Uint8Array[] = [];
    let value: Uint8Array = new Uint8Array(0);
    let i = lo;
    if ((items[i] as Item).nibbles.length === depth) {
      value = (items[i] as Item).value; // a key that ends exactly here (not for fixed-length keys)
      i++;
    }
    for (let nib = 0; nib < 16; nib++) {
      let j = i;
      while (j < hi && (items[j] as Item).nibbles[depth] === nib) j++;
      children.push(j === i ? EMPTY_STRING : this.ref(this.node(items, i, j, depth + 1)));
      i = j;
    }
    children.push(encodeString(value));
    return encodeList(children);
  }
}

const EMPTY_STRING = new Uint8Array([0x80]);

function lengthPrefix(len: number, short: number, long: number): Uint8Array {
  if (len < 56) return new Uint8Array([short + len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
  return new Uint8Array([long + bytes.length, ...bytes]);
}

/** RLP of a byte string. */
export function encodeString(b: Uint8Array): Uint8Array {
  if (b.length === 1 && (b[0] as number) < 0x80) return b;
  return Buffer.concat([lengthPrefix(b.length, 0x80, 0xb7), b]);
}

/** RLP of a list whose items are already RLP-encoded. */
export function encodeList(items: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const it of items) len += it.length;
  return Buffer.concat([lengthPrefix(len, 0xc0, 0xf7), ...items]);
}
