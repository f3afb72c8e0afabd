/**
 * Synchronous point lookups in a persisted secure trie. The parallel executor's state view is
 * synchronous (a read must be recorded with the version it saw, in order, without yielding),
 * and LMDB reads are synchronous memory-map reads, so the pre-state can be read without the
 * asynchronous @ethereumjs/mpt walk and without loading the whole state up front.
 *
 * Node shapes (Ethereum yellow paper, appendix D):
 *   branch    [child0 .. child15, value]        a 17-item list
 *   leaf      [HP(rest, true), value]           path nibble flag 2 or 3
 *   extension [HP(shared, false), child]        path nibble flag 0 or 1
 * "the node is referenced by its hash if its RLP is 32 bytes or longer, else embedded".
 * Keys of a secure trie are keccak256 of the account address or storage slot.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToUnprefixedHex } from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';

type Decoded = Uint8Array | Decoded[];

/** A node the trie refers to is not in the store: the state is corrupt, not the input. */
export class MissingNodeError extends ExecutionFault {
  constructor(hash: string) {
    super(`world state is corrupt: trie node ${hash} is missing`);
  }
}

export type GetNode = (hexKey: string) => Uint8Array | undefined;

/** The value stored under `hashedKey` in the trie rooted at `root`, or undefined. */
export function trieGet(
  getNode: GetNode,
  root: Uint8Array,
  hashedKey: Uint8Array,
): Uint8Array | undefined {
  const nibbles = toNibbles(hashedKey);
  let node = resolve(getNode, root);
  let at = 0;
  for (;;) {
    if (node.length === 17) {
      if (at === nibbles.length) return nonEmpty(node[16] as Uint8Array);
      const child = node[nibbles[at] as number] as Decoded;
      at++;
      if (child instanceof Uint8Array && child.length === 0) return undefined;
      node = resolve(getNode, child);
      continue;
    }
    if (node.length !== 2)
      throw new ExecutionFault(`world state is corrupt: a ${node.length}-item node`);
    const { path, leaf } = decodeHexPrefix(node[0] as Uint8Array);
    for (let i = 0; i < path.length; i++) {
      if (nibbles[at + i] !== path[i]) return undefined;
    }
    at += path.length;
    if (leaf) return at === nibbles.length ? nonEmpty(node[1] as Uint8Array) : undefined;
    node = resolve(getNode, node[1] as Decoded);
  }
}

/** A child reference: a 32-byte hash to look up, or the node itself when embedded. */
function resolve(getNode: GetNode, ref: Decoded): Decoded[] {
  if (Array.isArray(ref)) return ref;
  const hash = bytesToUnprefixedHex(ref);
  const bytes = getNode(hash);
  if (bytes === undefined) throw new MissingNodeError(hash);
  const decoded = RLP.decode(bytes) as Decoded;
  if (!Array.isArray(decoded))
    throw new ExecutionFault(`world state is corrupt: node ${hash} is not a list`);
  return decoded;
}

function nonEmpty(value: Uint8Array): Uint8Array | undefined {
  return value.length === 0 ? undefined : value;
}

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = (key[i] as number) >> 4;
    out[2 * i + 1] = (key[i] as number) & 15;
  }
  return out;
}

/** Hex-prefix decoding (yellow paper, appendix C): flag nibble 2 = leaf, 1 = odd length. */
function decodeHexPrefix(encoded: Uint8Array): { path: Uint8Array; leaf: boolean } {
  const all = toNibbles(encoded);
  const flag = all[0] as number;
  if (flag > 3) throw new ExecutionFault('world state is corrupt: bad hex-prefix flag');
  const odd = (flag & 1) === 1;
  return { path: all.subarray(odd ? 1 : 2), leaf: flag >= 2 };
}
