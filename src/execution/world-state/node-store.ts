/**
 * Persistent store of trie nodes and the head pointer, on LMDB.
 *
 * Why LMDB (lmdb npm package, prebuilt binary, no build step) over LevelDB (classic-level):
 * - Crash safety without recovery: LMDB is a copy-on-write B+tree that switches between two
 *   meta pages, so a process killed in the middle of a commit reopens at the previous commit,
 *   with no log to replay. A commit is one write transaction holding both the new trie nodes
 *   and the new head root; it is visible entirely or not at all.
 * - Many readers, across worker_threads and processes: the parallel executor's workers can
 *   open the same environment read-only and walk the pre-state trie directly, where LevelDB
 *   allows one opener per directory (a LOCK file) and everything would go through one thread.
 * - Synchronous reads from a memory map: trie lookups cost no event-loop round trip.
 * Cost: a larger package (one platform binary, about 17 MB unpacked) and a sparse data file.
 */
import { type Database, open, type RootDatabase } from 'lmdb';

/** The committed head: the state every next batch must start from. */
export interface HeadRecord {
  /** 0x-hex state root. */
  root: string;
  /** Number of commits after genesis (genesis is 0). */
  height: number;
  /** 0x-hex root of the genesis this directory was created from. */
  genesisRoot: string;
}

/** Staged writes: hex key to node bytes, or null to delete. */
export type NodeWrites = ReadonlyMap<string, Uint8Array | null>;

export class NodeStore {
  readonly #env: RootDatabase;
  readonly #nodes: Database<Buffer, Buffer>;
  readonly #meta: Database<HeadRecord | number, string>;

  private constructor(env: RootDatabase) {
    this.#env = env;
    this.#nodes = env.openDB<Buffer, Buffer>({
      name: 'nodes',
      keyEncoding: 'binary',
      encoding: 'binary',
    });
    this.#meta = env.openDB<HeadRecord | number, string>({ name: 'meta', encoding: 'json' });
  }

  /** `readOnly` suits executor worker threads: they share the writer's memory map. */
  static open(dir: string, readOnly = false): NodeStore {
    // maxDbs: named sub-databases; compression off: trie nodes are hashes, they do not compress.
    return new NodeStore(open({ path: dir, maxDbs: 4, compression: false, readOnly }));
  }

  getNode(hexKey: string): Uint8Array | undefined {
    const value = this.#nodes.get(hexKeyToBytes(hexKey));
    return value === undefined ? undefined : new Uint8Array(value);
  }

  hasNode(hexKey: string): boolean {
    return this.#nodes.doesExist(hexKeyToBytes(hexKey));
  }

  head(): HeadRecord | undefined {
    return this.#meta.get('head') as HeadRecord | undefined;
  }

  /** Height at which `root` was the head, if it ever was. */
  heightOf(rootHex: string): number | undefined {
    return this.#meta.get(`root:${rootHex}`) as number | undefined;
  }

  /**
   * One atomic write transaction: the nodes, then the new head, after checking (under LMDB's
   * writer lock) that the head is still `expectedRoot`. `onConflict` builds the error thrown
   * (which aborts the transaction) when it is not. Resolves once the commit is flushed to disk.
   */
  async commit(
    writes: NodeWrites,
    next: HeadRecord,
    expectedRoot: string | undefined,
    onConflict: (actual: HeadRecord | undefined) => Error,
  ): Promise<void> {
    this.#env.transactionSync(() => {
      const current = this.head();
      if (current?.root !== expectedRoot) throw onConflict(current);
      for (const [key, value] of writes) {
        if (value === null) this.#nodes.removeSync(hexKeyToBytes(key));
        else this.#nodes.putSync(hexKeyToBytes(key), Buffer.from(value));
      }
      this.#meta.putSync(`root:${next.root}`, next.height);
      this.#meta.putSync('head', next);
    });
    await this.#env.flushed;
  }

  async close(): Promise<void> {
    await this.#env.close();
  }
}

function hexKeyToBytes(hexKey: string): Buffer {
  if (hexKey.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hexKey)) {
    throw new TypeError(`trie key is not lowercase unprefixed hex: ${hexKey.slice(0, 80)}`);
  }
  return Buffer.from(hexKey, 'hex');
}
