/**
 * The @ethereumjs/mpt DB adapter: reads fall through an in-memory overlay to the persisted
 * nodes; writes only ever reach the overlay. Nothing touches the disk while a batch executes;
 * `WorldState.commitFrom` moves the overlay to disk in one transaction with the new head.
 */
import type { BatchDBOp, DB } from '@ethereumjs/util';
import type { NodeStore, NodeWrites } from './node-store.ts';

type Value = string | Uint8Array;

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
    return this.#store.getNode(key);
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
