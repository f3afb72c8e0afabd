/**
 * The batch's pre-state as the parallel executor reads it: synchronously, one location at a
 * time. Either the batch file's explicit `pre`, or a persisted state root read lazily from the
 * world state (a worker never loads more of the state than its transactions touch).
 */
import type { PreState } from '../types.ts';
import type { StateSnapshot } from '../world-state/snapshot.ts';
import { type AccountValue, EMPTY_CODE_HASH } from './keys.ts';

export interface PreView {
  /** `addr`: 40 hex characters without 0x */
  account(addr: string): AccountValue | undefined;
  /** `slot`: 64 hex characters without 0x; zero when absent */
  slot(addr: string, slot: string): bigint;
  /** whether the account's storage is non-empty in the pre-state */
  hasStorage(addr: string): boolean;
  /** code by hash (hex without 0x), for accounts of the pre-state */
  code(hash: string): Uint8Array | undefined;
}

type Keccak = (data: Uint8Array) => Uint8Array;

export function explicitPreView(pre: PreState, keccak: Keccak): PreView {
  const accounts = new Map<string, AccountValue>();
  const storage = new Map<string, Map<string, bigint>>();
  const codes = new Map<string, Uint8Array>();
  for (const [address, acc] of pre) {
    const addr = address.slice(2);
    let codeHash = EMPTY_CODE_HASH;
    if (acc.code.length > 0) {
      codeHash = Buffer.from(keccak(acc.code)).toString('hex');
      codes.set(codeHash, acc.code);
    }
    accounts.set(addr, { exists: true, nonce: acc.nonce, balance: acc.balance, codeHash });
    if (acc.storage.size > 0) storage.set(addr, acc.storage);
  }
  return {
    account: (addr) => accounts.get(addr),
    slot: (addr, slot) => storage.get(addr)?.get(slot) ?? 0n,
    hasStorage: (addr) => storage.has(addr),
    code: (hash) => codes.get(hash),
  };
}

export function snapshotPreView(snapshot: StateSnapshot): PreView {
  return {
    account: (addr) => {
      const a = snapshot.account(addr);
      if (a === undefined) return undefined;
      return { exists: true, nonce: a.nonce, balance: a.balance, codeHash: a.codeHash };
    },
    slot: (addr, slot) => snapshot.storage(addr, slot),
    hasStorage: (addr) => snapshot.account(addr)?.hasStorage ?? false,
    code: (hash) => snapshot.code(hash),
  };
}
