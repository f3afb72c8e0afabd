/**
 * A read-only, synchronous view of one persisted state root: accounts, storage slots and code,
 * each read on first use straight from the store (trie-reader.ts) and remembered. A root names
 * immutable content (every node is keyed by its hash), so a snapshot stays valid while the
 * owner commits newer heads. The parallel executor's workers read their pre-state through it.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToBigInt, bytesToUnprefixedHex, KECCAK256_RLP } from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';
import { type GetNode, trieGet } from './trie-reader.ts';

export interface SnapshotAccount {
  nonce: bigint;
  balance: bigint;
  /** hex without 0x */
  codeHash: string;
  /** false when the storage trie is empty */
  hasStorage: boolean;
}

type Keccak = (data: Uint8Array) => Uint8Array;

interface Loaded {
  account: SnapshotAccount;
  storageRoot: Uint8Array;
}

/** MerkleStateManager stores code under "c" || codeHash (its CODEHASH_PREFIX). */
const CODE_KEY_PREFIX = '63';
const EMPTY_TRIE_HEX = bytesToUnprefixedHex(KECCAK256_RLP);

export class StateSnapshot {
  /** The store's node lookup (hex key), for building on this state (trie-update.ts). */
  readonly getNode: GetNode;
  /** The state root this snapshot reads. */
  readonly root: Uint8Array;
  readonly #keccak: Keccak;
  readonly #accounts = new Map<string, Loaded | null>();
  readonly #slots = new Map<string, bigint>();

  constructor(getNode: GetNode, root: Uint8Array, keccak: Keccak) {
    this.getNode = getNode;
    this.root = root;
    this.#keccak = keccak;
  }

  /** `addr`: 40 lowercase hex characters without 0x. */
  account(addr: string): SnapshotAccount | undefined {
    return this.#load(addr)?.account;
  }

  /** `slot`: 64 lowercase hex characters without 0x. Zero when absent. */
  storage(addr: string, slot: string): bigint {
    const key = addr + slot;
    const cached = this.#slots.get(key);
    if (cached !== undefined) return cached;
    const loaded = this.#load(addr);
    let value = 0n;
    if (loaded?.account.hasStorage) {
      const raw = trieGet(this.getNode, loaded.storageRoot, this.#keccak(hexToBytes(slot)));
      if (raw !== undefined) value = bytesToBigInt(RLP.decode(raw) as Uint8Array);
    }
    this.#slots.set(key, value);
    return value;
  }

  /** The account's storage trie root, or null when its storage is empty (or it is absent). */
  storageRoot(addr: string): Uint8Array | null {
    const loaded = this.#load(addr);
    return loaded?.account.hasStorage === true ? loaded.storageRoot : null;
  }

  /** The code with this hash (hex without 0x), if the store holds it. */
  code(codeHash: string): Uint8Array | undefined {
    return this.getNode(CODE_KEY_PREFIX + codeHash);
  }

  #load(addr: string): Loaded | undefined {
    const cached = this.#accounts.get(addr);
    if (cached !== undefined) return cached ?? undefined;
    const raw = trieGet(this.getNode, this.root, this.#keccak(hexToBytes(addr)));
    const loaded = raw === undefined ? undefined : decodeAccount(raw);
    this.#accounts.set(addr, loaded ?? null);
    return loaded;
  }
}

/** An account leaf: RLP([nonce, balance, storageRoot, codeHash]). */
function decodeAccount(raw: Uint8Array): Loaded {
  const fields = RLP.decode(raw) as Uint8Array[];
  if (!Array.isArray(fields) || fields.length !== 4) {
    throw new ExecutionFault('world state is corrupt: an account leaf is not a 4-item list');
  }
  const [nonce, balance, storageRoot, codeHash] = fields as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  return {
    account: {
      nonce: bytesToBigInt(nonce),
      balance: bytesToBigInt(balance),
      codeHash: bytesToUnprefixedHex(codeHash),
      hasStorage: bytesToUnprefixedHex(storageRoot) !== EMPTY_TRIE_HEX,
    },
    storageRoot,
  };
}

function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
