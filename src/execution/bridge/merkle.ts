/**
 * The withdrawals Merkle root of a batch: a commitment to the exact payouts, in order, that a
 * Bitcoin-side verifier can recompute from the settlement's outputs.
 *
 * Definition (all integers little-endian, as Bitcoin serializes them):
 *
 *   TaggedHash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m)                  (BIP340)
 *   leaf(w)  = TaggedHash("rollup-custody/withdrawal/leaf",
 *                         u64(w.index) || u64(w.amountSats) || compactSize(len(spk)) || spk)
 *              the part after the index is the Bitcoin CTxOut serialization of the payout.
 *   node(l, r) = TaggedHash("rollup-custody/withdrawal/node", l || r)
 *   Reduce the list of leaves level by level: pair neighbours (0,1), (2,3), ...; an odd last
 *   element is carried up unchanged. It is never paired with itself: duplicating it (Bitcoin's
 *   block Merkle rule) makes [a, b, c] and [a, b, c, c] share a root (CVE-2012-2459).
 *   (This is the same tree as RFC 6962's recursive split, left subtree = the largest power of
 *   two strictly below n; the tests check both formulations agree.)
 *   top = the single element left, or 32 zero bytes for an empty list.
 *   root = TaggedHash("rollup-custody/withdrawals/root", u64(count) || top)
 *
 * Distinct leaf and node tags keep a leaf from being read as an inner node (no second
 * preimage by shortening the tree), and the count in the root binds the tree's shape.
 * Empty list: TaggedHash(root tag, 8 zero bytes || 32 zero bytes).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { bytesToHex, parseHexBytes, parseQuantity } from '../../shared/hex.ts';
import type { Withdrawal } from './withdrawals.ts';

export const LEAF_TAG = 'rollup-custody/withdrawal/leaf';
export const NODE_TAG = 'rollup-custody/withdrawal/node';
export const ROOT_TAG = 'rollup-custody/withdrawals/root';

const U64_LIMIT = 1n << 64n;
const tagHashes = new Map<string, Uint8Array>();

export function taggedHash(tag: string, message: Uint8Array): Uint8Array {
  let tagHash = tagHashes.get(tag);
  if (tagHash === undefined) {
    tagHash = sha256(new TextEncoder().encode(tag));
    tagHashes.set(tag, tagHash);
  }
  return sha256.create().update(tagHash).update(tagHash).update(message).digest();
}

function u64le(value: bigint, field: string): Uint8Array {
  if (value < 0n || value >= U64_LIMIT) {
    throw new InvalidInputError(`${field}: does not fit 64 bits`, { field });
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** Leaf preimage; scripts are at most 34 bytes, so the compact size is a single byte. */
export function withdrawalLeafPreimage(w: Withdrawal, field = 'withdrawal'): Uint8Array {
  const script = parseHexBytes(w.scriptPubKey, `${field}.scriptPubKey`);
  if (script.length >= 0xfd) {
    throw new InvalidInputError(`${field}.scriptPubKey: longer than any standard script`, {
      field: `${field}.scriptPubKey`,
    });
  }
  return Uint8Array.from([
    ...u64le(parseQuantity(w.index, `${field}.index`), `${field}.index`),
    ...u64le(parseQuantity(w.amountSats, `${field}.amountSats`), `${field}.amountSats`),
    script.length,
    ...script,
  ]);
}

export function withdrawalLeaf(w: Withdrawal, field = 'withdrawal'): Uint8Array {
  return taggedHash(LEAF_TAG, withdrawalLeafPreimage(w, field));
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i]!;
    const right = level[i + 1];
    up.push(
      right === undefined ? left : taggedHash(NODE_TAG, Uint8Array.from([...left, ...right])),
    );
  }
  return up;
}

/** The root as 32 bytes. */
export function withdrawalsRootBytes(withdrawals: readonly Withdrawal[]): Uint8Array {
  let level = withdrawals.map((w, i) => withdrawalLeaf(w, `withdrawals[${i}]`));
  while (level.length > 1) level = nextLevel(level);
  const top = level[0] ?? new Uint8Array(32);
  const count = u64le(BigInt(withdrawals.length), 'withdrawals.length');
  return taggedHash(ROOT_TAG, Uint8Array.from([...count, ...top]));
}

/** The root as 0x-hex, the form a BatchResult carries. */
export function withdrawalsRoot(withdrawals: readonly Withdrawal[]): string {
  return bytesToHex(withdrawalsRootBytes(withdrawals));
}
