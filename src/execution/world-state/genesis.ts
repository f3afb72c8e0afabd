/**
 * Geth-style genesis allocs (`{"alloc": {ADDRESS: {balance, nonce, code, storage}}}`) applied
 * to a state manager. The batch file's `pre` has the same shape; quantities are 0x-hex.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { Address, bigIntToBytes, createAccount, setLengthLeft } from '@ethereumjs/util';
import { InvalidInputError } from '../../shared/errors.ts';
import { parseHexBytes, parseQuantity } from '../../shared/hex.ts';

export interface GenesisAccount {
  balance: string;
  nonce?: string;
  code?: string;
  storage?: Record<string, string>;
}

export type GenesisAlloc = Record<string, GenesisAccount>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Geth accepts alloc keys with or without 0x. */
function parseAddress(key: string, field: string): Address {
  const hex = key.startsWith('0x') || key.startsWith('0X') ? `0x${key.slice(2)}` : `0x${key}`;
  return new Address(parseHexBytes(hex, field, 20));
}

/**
 * Storage keys and values: 0x-hex of at most 32 bytes, left-padded (geth writes full words,
 * test fixtures write quantities like "0x01" or "0x1"; both mean the same word).
 */
function parseWord(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(value)) {
    throw new InvalidInputError(`${field}: expected 0x-hex of at most 32 bytes`, { field });
  }
  return setLengthLeft(bigIntToBytes(BigInt(value === '0x' ? 0 : value)), 32);
}

async function applyAccount(
  sm: MerkleStateManager,
  address: Address,
  account: unknown,
  field: string,
): Promise<void> {
  if (!isRecord(account)) throw new InvalidInputError(`${field}: expected an object`, { field });
  const balance = parseQuantity(account.balance, `${field}.balance`);
  const nonce = account.nonce === undefined ? 0n : parseQuantity(account.nonce, `${field}.nonce`);
  await sm.putAccount(address, createAccount({ balance, nonce }));
  if (account.code !== undefined) {
    const code = parseHexBytes(account.code, `${field}.code`);
    if (code.length > 0) await sm.putCode(address, code);
  }
  if (account.storage === undefined) return;
  if (!isRecord(account.storage)) {
    throw new InvalidInputError(`${field}.storage: expected an object`, {
      field: `${field}.storage`,
    });
  }
  for (const [slot, value] of Object.entries(account.storage)) {
    const key = parseWord(slot, `${field}.storage key ${slot}`);
    const word = parseWord(value, `${field}.storage[${slot}]`);
    // A zero word is an absent slot: writing it would only delete nothing.
    if (word.some((b) => b !== 0)) await sm.putStorage(address, key, word);
  }
}

/** Writes every account of `alloc` into `sm` (its caches/trie; nothing is persisted here). */
export async function applyGenesisAlloc(sm: MerkleStateManager, alloc: unknown): Promise<void> {
  if (!isRecord(alloc))
    throw new InvalidInputError('alloc: expected an object', { field: 'alloc' });
  for (const [key, account] of Object.entries(alloc)) {
    const field = `alloc[${key}]`;
    await applyAccount(sm, parseAddress(key, field), account, field);
  }
}

/** What a geth genesis file contributes: `config.chainId` and `alloc`. */
export interface GenesisFile {
  chainId: bigint;
  alloc: GenesisAlloc;
}

/**
 * Parses a geth genesis JSON (already JSON-decoded). Only `config.chainId` and `alloc` are
 * used; the accounts themselves are checked field by field when applied.
 */
export function parseGenesisFile(json: unknown): GenesisFile {
  if (!isRecord(json))
    throw new InvalidInputError('genesis: expected a JSON object', { field: 'genesis' });
  const config = json.config;
  if (!isRecord(config)) {
    throw new InvalidInputError('genesis.config: expected an object', { field: 'genesis.config' });
  }
  const chainId = config.chainId;
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new InvalidInputError('genesis.config.chainId: expected a positive integer', {
      field: 'genesis.config.chainId',
    });
  }
  const alloc = json.alloc ?? {};
  if (!isRecord(alloc)) {
    throw new InvalidInputError('genesis.alloc: expected an object', { field: 'genesis.alloc' });
  }
  return { chainId: BigInt(chainId), alloc: alloc as GenesisAlloc };
}
