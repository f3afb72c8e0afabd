/**
 * The post-state of a batch on a persisted root: the last write of every location applied to
 * the stored tries in one pass (world-state/trie-update.ts), per account in the order wipe →
 * header → slots written after the wipe, as apply.ts does through a state manager. Returns
 * the new root and exactly the nodes (and code) the new state adds, ready to commit.
 */
import { bigIntToUnpaddedBytes } from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';
import { encodeList, encodeString, type Keccak } from '../trie.ts';
import type { StateSnapshot } from '../world-state/snapshot.ts';
import { type TrieUpdate, updateTrie } from '../world-state/trie-update.ts';
import { type AccountChanges, batchChanges, type PreAccount } from './apply.ts';
import { type AccountValue, EMPTY_CODE_HASH } from './keys.ts';
import type { MVMemory } from './mvmemory.ts';

export interface WorldRootInput {
  snapshot: StateSnapshot;
  mv: MVMemory;
  /** code created in the batch, by hash */
  createdCode: (hash: string) => Uint8Array | undefined;
  coinbase: string;
  /** the pre-state account of an address, as the executors read it */
  preAccount: PreAccount;
  totalFees: bigint;
  keccak: Keccak;
}

/** MerkleStateManager's code key: "c" || codeHash. */
const codeKey = (hash: string) => `63${hash}`;

export function worldStateRoot(input: WorldRootInput): {
  root: Uint8Array;
  nodes: Map<string, Uint8Array>;
} {
  const { snapshot, keccak } = input;
  const changes = batchChanges(input.mv, input.preAccount, input.coinbase, input.totalFees);
  const nodes = new Map<string, Uint8Array>();
  const accountUpdates: TrieUpdate[] = [];
  for (const [addr, c] of changes) {
    const pre = snapshot.account(addr);
    const header: AccountValue | undefined =
      c.header ??
      (pre === undefined
        ? undefined
        : { exists: true, nonce: pre.nonce, balance: pre.balance, codeHash: pre.codeHash });
    const key = keccak(Buffer.from(addr, 'hex'));
    if (header === undefined || !header.exists) {
      if (pre !== undefined) accountUpdates.push([key, null]);
      continue;
    }
    const storageRoot = newStorageRoot(input, addr, c, nodes);
    if (header.codeHash !== EMPTY_CODE_HASH && header.codeHash !== pre?.codeHash) {
      const code = input.createdCode(header.codeHash) ?? snapshot.code(header.codeHash);
      if (code === undefined)
        throw new ExecutionFault(`missing code ${header.codeHash} for 0x${addr}`);
      nodes.set(codeKey(header.codeHash), code);
    }
    const body = encodeList([
      encodeString(bigIntToUnpaddedBytes(header.nonce)),
      encodeString(bigIntToUnpaddedBytes(header.balance)),
      encodeString(storageRoot),
      encodeString(Buffer.from(header.codeHash, 'hex')),
    ]);
    accountUpdates.push([key, body]);
  }
  const result = updateTrie(snapshot.getNode, snapshot.root, accountUpdates, keccak);
  for (const [k, v] of result.nodes) nodes.set(k, v);
  return { root: result.root, nodes };
}

/** Storage after the batch: a wipe starts from empty and drops slots written before it. */
function newStorageRoot(
  input: WorldRootInput,
  addr: string,
  c: AccountChanges,
  nodes: Map<string, Uint8Array>,
): Uint8Array {
  const { snapshot, keccak } = input;
  const base = c.wipeTx === undefined ? snapshot.storageRoot(addr) : null;
  const updates: TrieUpdate[] = [];
  for (const [slot, value, tx] of c.slots) {
    if (c.wipeTx !== undefined && tx < c.wipeTx) continue;
    const v = value === 0n ? null : encodeString(bigIntToUnpaddedBytes(value));
    updates.push([keccak(Buffer.from(slot, 'hex')), v]);
  }
  if (updates.length === 0 && base !== null) return base;
  const result = updateTrie(snapshot.getNode, base, updates, keccak);
  for (const [k, v] of result.nodes) nodes.set(k, v);
  return result.root;
}
