/**
 * World state that persists across batches and restarts. The post-state of batch N is the
 * pre-state of batch N+1: `stateManagerAt(head)` gives a state manager over the persisted trie,
 * the executor runs the batch on it, and `commitFrom(sm)` makes its state the new head, in one
 * crash-safe transaction, only if the head has not moved since that state manager was opened.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { Common, Mainnet } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import { bytesToHex, KECCAK256_RLP, ValueEncoding } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import { parseHexBytes } from '../../shared/hex.ts';
import { applyGenesisAlloc, type GenesisAlloc } from './genesis.ts';
import { type HeadRecord, NodeStore } from './node-store.ts';
import { reachableWrites } from './reachable.ts';
import { StateSnapshot } from './snapshot.ts';
import { StagedTrieDB } from './staged-db.ts';

export interface OpenWorldStateOpts {
  /** Used to create the state of an empty directory, and checked against a non-empty one. */
  genesis?: GenesisAlloc;
  /** Hardfork and custom crypto (native keccak) for the tries and state managers. */
  common?: Common;
  /**
   * Read an existing world state without the right to commit: for executor worker threads,
   * which read pre-state nodes straight from the shared memory map while the owner commits.
   */
  readOnly?: boolean;
}

export interface StateManagerAtOpts {
  /** Defaults to the world state's common. */
  common?: Common;
}

export interface CommitResult {
  /** 0x-hex post-state root, now the head. */
  root: string;
  height: number;
  /** Trie nodes (and code) written by this commit: the new ones reachable from `root`. */
  nodesWritten: number;
  /** Nodes the trie staged during the batch, live or not (see reachable.ts). */
  nodesStaged: number;
}

/** Thrown when a batch was built on a state that is no longer the head. */
export class StalePreStateError extends ConflictError {
  constructor(expected: string, head: string | undefined) {
    super(`pre-state root ${expected} is not the current head ${head ?? '(none)'}`, {
      expected,
      head,
    });
  }
}

interface Opened {
  db: StagedTrieDB;
  /** The root this state manager's staged writes build on: the head it must still find. */
  baseRoot: string;
}

const EMPTY_ROOT = bytesToHex(KECCAK256_RLP);

export class WorldState {
  readonly #store: NodeStore;
  readonly #common: Common;
  readonly #opened = new WeakMap<MerkleStateManager, Opened>();
  readonly #readOnly: boolean;
  #closed = false;

  /** The directory this world state lives in (worker threads open it read-only). */
  readonly dir: string;

  constructor(dir: string, store: NodeStore, common: Common, readOnly = false) {
    this.dir = dir;
    this.#store = store;
    this.#common = common;
    this.#readOnly = readOnly;
  }

  /** 0x-hex root of the committed head. */
  headRoot(): string {
    return this.#head().root;
  }

  head(): HeadRecord {
    return { ...this.#head() };
  }

  /** Refuses a batch whose pre-state is not the head (say, built before another commit). */
  ensurePreStateRoot(expected: string): void {
    const root = parseRoot(expected, 'preStateRoot');
    const head = this.headRoot();
    if (root !== head) throw new StalePreStateError(root, head);
  }

  /** True when `root` is a state this directory holds (a current or past head). */
  hasState(root: string): boolean {
    return this.#store.heightOf(parseRoot(root, 'root')) !== undefined;
  }

  /**
   * A synchronous read-only view of the state at `root` (default: head), read lazily from the
   * store. Valid as long as this world state is open, whatever is committed meanwhile.
   */
  snapshot(root: string = this.headRoot()): StateSnapshot {
    this.#assertOpen();
    const rootHex = this.#held(root, 'root');
    const keccak = this.#common.customCrypto.keccak256 ?? keccak_256;
    return new StateSnapshot(
      (key) => this.#store.getNode(key),
      parseHexBytes(rootHex, 'root', 32),
      keccak,
    );
  }

  /**
   * A MerkleStateManager (with caches) over the persisted trie at `root` (default: head).
   * Writes stay in memory until `commitFrom`. A past root can be read; only a state manager
   * opened at the head can be committed.
   */
  stateManagerAt(
    root: string = this.headRoot(),
    opts: StateManagerAtOpts = {},
  ): MerkleStateManager {
    this.#assertOpen();
    const baseRoot = this.#held(root, 'root');
    const common = opts.common ?? this.#common;
    const db = new StagedTrieDB(this.#store);
    const trie = new MerklePatriciaTrie({
      db,
      root: parseHexBytes(baseRoot, 'root', 32),
      useKeyHashing: true,
      valueEncoding: ValueEncoding.Bytes,
      common,
    });
    const sm = new MerkleStateManager({ trie, common, caches: new Caches() });
    this.#opened.set(sm, { db, baseRoot });
    return sm;
  }

  /**
   * Makes `sm`'s current state the head: its staged trie nodes and the new head root in one
   * atomic transaction, durable when this resolves. Refused with StalePreStateError when the
   * head moved since `sm` was opened (or last committed). `sm` stays usable for the next batch.
   */
  async commitFrom(sm: MerkleStateManager): Promise<CommitResult> {
    this.#assertOpen();
    const opened = this.#opened.get(sm);
    if (opened === undefined) {
      throw new InvalidInputError('stateManager: not opened by this world state', {
        field: 'stateManager',
      });
    }
    const next = this.#nextHead(bytesToHex(await sm.getStateRoot()));
    const result = await this.#write(opened.db.stagedWrites(), next, opened.baseRoot);
    opened.db.persisted();
    opened.baseRoot = next.root;
    return result;
  }

  /**
   * Makes `root` the head, given the new nodes that build it on `baseRoot` (trie-update.ts),
   * in one atomic, durable transaction, only if the head is still `baseRoot`. The nodes are
   * checked to complete the new state with what is stored; only those it needs are written.
   */
  async commitNodes(
    baseRoot: string,
    root: Uint8Array,
    nodes: ReadonlyMap<string, Uint8Array>,
  ): Promise<CommitResult> {
    this.#assertOpen();
    const next = this.#nextHead(bytesToHex(root));
    return this.#write(nodes, next, parseRoot(baseRoot, 'baseRoot'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#store.close();
  }

  /** Creates the genesis head of an empty directory. */
  async initGenesis(alloc: GenesisAlloc): Promise<CommitResult> {
    const sm = this.stateManagerAt(EMPTY_ROOT);
    await applyGenesisAlloc(sm, alloc);
    const root = bytesToHex(await sm.getStateRoot());
    const staged = this.#opened.get(sm)!.db.stagedWrites();
    return this.#write(staged, { root, height: 0, genesisRoot: root }, undefined);
  }

  /** The head after the current one, at `root`. */
  #nextHead(root: string): HeadRecord {
    const current = this.#head();
    return { root, height: current.height + 1, genesisRoot: current.genesisRoot };
  }

  /**
   * The nodes of `staged` that `next.root` needs (and that the store lacks), with the new head,
   * in one durable transaction, if the head is still `expectedRoot` (undefined: no head yet).
   */
  async #write(
    staged: ReadonlyMap<string, Uint8Array | null>,
    next: HeadRecord,
    expectedRoot: string | undefined,
  ): Promise<CommitResult> {
    if (this.#readOnly) throw new Error('world state was opened read-only: it cannot commit');
    const writes = reachableWrites(next.root, staged, (key) => this.#store.hasNode(key));
    await this.#store.commit(writes, next, expectedRoot, (actual) => {
      return new StalePreStateError(expectedRoot ?? EMPTY_ROOT, actual?.root);
    });
    return {
      root: next.root,
      height: next.height,
      nodesWritten: writes.size,
      nodesStaged: staged.size,
    };
  }

  /** `root` parsed, if it is a state this directory holds (the empty state always is). */
  #held(root: string, field: string): string {
    const parsed = parseRoot(root, field);
    if (parsed !== EMPTY_ROOT && this.#store.heightOf(parsed) === undefined) {
      throw new NotFoundError(`state root ${parsed} is not held by this world state`);
    }
    return parsed;
  }

  #head(): HeadRecord {
    this.#assertOpen();
    const head = this.#store.head();
    if (head === undefined) throw new Error('world state has no head (genesis not written)');
    return head;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('world state is closed');
  }
}

function parseRoot(root: string, field: string): string {
  return bytesToHex(parseHexBytes(root, field, 32));
}

/**
 * Opens (creating if needed) the world state in `dir`. An empty directory gets the genesis
 * state of `opts.genesis` (an empty state without one); a directory created from another
 * genesis is refused, so a node never continues someone else's chain.
 */
export async function openWorldState(
  dir: string,
  opts: OpenWorldStateOpts = {},
): Promise<WorldState> {
  const readOnly = opts.readOnly ?? false;
  if (readOnly && !existsSync(dir)) throw new NotFoundError(`no world state in ${dir}`);
  if (!readOnly) mkdirSync(dir, { recursive: true });
  const common = opts.common ?? new Common({ chain: Mainnet, hardfork: 'cancun' });
  const store = NodeStore.open(dir, readOnly);
  const ws = new WorldState(dir, store, common, readOnly);
  try {
    const existing = store.head();
    if (existing === undefined && readOnly) throw new NotFoundError(`no world state in ${dir}`);
    if (existing === undefined) {
      await ws.initGenesis(opts.genesis ?? {});
    } else if (opts.genesis !== undefined) {
      const expected = await genesisRoot(opts.genesis, common);
      if (expected !== existing.genesisRoot) {
        throw new ConflictError(
          `${dir} holds the chain of genesis ${existing.genesisRoot}, not ${expected}`,
          { genesisRoot: existing.genesisRoot, expected },
        );
      }
    }
    return ws;
  } catch (error) {
    await ws.close();
    throw error;
  }
}

/** The state root of a genesis alloc, computed in memory (nothing persisted). */
export async function genesisRoot(alloc: GenesisAlloc, common?: Common): Promise<string> {
  const sm = new MerkleStateManager(common === undefined ? {} : { common });
  await applyGenesisAlloc(sm, alloc);
  return bytesToHex(await sm.getStateRoot());
}
