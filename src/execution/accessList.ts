/**
 * A batch access list in the spirit of EIP-7928 (block-level access lists): for every
 * transaction, the locations it read and the values it wrote, plus its coinbase fee and the
 * code it created. Locations use the executor's keys (parallel/keys.ts):
 *   `e|n|b|c<addr>` an account's existence, nonce, balance or code hash, `s<addr><slot>` a
 *   storage slot, `r<addr>` a storage wipe. A balance write may be a `{ credit }` (keys.ts): value
 *   added without reading the balance.
 * With such a list every transaction can be re-executed at once, in parallel and without
 * speculation, against the pre-state plus the declared writes of the transactions before it.
 */
import type { Value } from './parallel/keys.ts';

export interface TxAccess {
  reads: string[];
  writes: [string, Value][];
  fee: bigint;
  codes: [string, Uint8Array][];
}

export type AccessList = TxAccess[];

/** Accounts (0x-addresses) and slots a transaction touched: the human-readable view. */
export function touched(entry: TxAccess): { accounts: string[]; slots: [string, string][] } {
  const accounts = new Set<string>();
  const slots: [string, string][] = [];
  for (const key of [...entry.reads, ...entry.writes.map(([k]) => k)]) {
    accounts.add(`0x${key.slice(1, 41)}`);
    if (key[0] === 's') slots.push([`0x${key.slice(1, 41)}`, `0x${key.slice(41)}`]);
  }
  return { accounts: [...accounts], slots };
}
