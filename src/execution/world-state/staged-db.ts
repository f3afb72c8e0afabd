/**
 * The @ethereumjs/mpt DB adapter: reads fall through an in-memory overlay to the persisted
 * nodes; writes only ever reach the overlay. Nothing touches the disk while a batch executes;
 * `WorldState.commitFrom` moves the overlay to disk in one transaction with the new head.
 */
import { type BatchDBOp, bytesToUnprefixedHex, type DB, KECCAK256_RLP } from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';
import type { NodeStore, NodeWrites } from './node-store.ts';

type Value = string | Uint8Array;

/** MerkleStateManager's code keys: "c" (0x63) followed by the 32-byte code hash, as hex. */
const CODE_PREFIX = '63';
const CODE_KEY_LENGTH = 66;
const NODE_KEY_LENGTH = 64;
const EMPTY_TRIE = bytesToUnprefixedHex(KECCAK256_RLP);

function toBytes(value: Value): Uint8Array {
  // The trie is opened with ValueEncoding.Bytes; a string would be hex from another encoding.
  if (typeof value === 'string') return Uint8Array.from(Buffer.from(value, 'hex'));
  return value;
}

export class StagedTrieDB implements DB<string, Value> {
  readonly #store: NodeStore;
  #staged = new Map<string, Uint8Array | null>();

  constructor(store: NodeStore) {
    this.#store = store;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const staged = this.#staged.get(key);
    if (staged !== undefined) return staged ?? undefined;
    const value = this.#store.getNode(key);
    // The state manager asks for code only for accounts whose code hash is not the empty
    // one, and would run a missing code as empty code: a corrupt state must not pass as that.
    if (value === undefined && key.length === CODE_KEY_LENGTH && key.startsWith(CODE_PREFIX)) {
      throw new ExecutionFault(`world state is corrupt: code ${key.slice(2)} is missing`);
    }
    // @ethereumjs/mpt reads a missing node as "key absent" (findPath swallows "Missing node in
    // DB"): a slot would read as zero. A node key is only asked for when a parent (or the
    // root) refers to it, so a miss is a corrupt state.
    if (value === undefined && key.length === NODE_KEY_LENGTH && key !== EMPTY_TRIE) {
      throw new ExecutionFault(`world state is corrupt: trie node ${key} is missing`);
    }
    return value;
  }

  async put(key: string, value: Value): Promise<void> {
    this.#staged.set(key, toBytes(value));
  }

  async del(key: string): Promise<void> {
    this.#staged.set(key, null);
  }

  async batch(ops: BatchDBOp<string, Value>[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.#staged.set(op.key, toBytes(op.value));
      else this.#staged.set(op.key, null);
    }
  }

  /** Storage tries are shallow copies of the account trie: they must share this overlay. */
  shallowCopy(): DB<string, Value> {
    return this;
  }

  async open(): Promise<void> {}

  /** The overlay, handed to a commit; `persisted()` empties it once the commit is durable. */
  stagedWrites(): NodeWrites {
    return this.#staged;
  }

  persisted(): void {
    this.#staged = new Map();
  }

  stagedCount(): number {
    return this.#staged.size;
  }
}
