/**
 * Locations of multi-version memory. Block-STM tracks reads and writes per location; ours are
 *   `a<addr>`          an account header (existence, nonce, balance, code hash)
 *   `s<addr><slot>`    one storage slot (addr: 40 hex chars, slot: 64 hex chars)
 *   `r<addr>`          a storage wipe (CREATE over an address, SELFDESTRUCT, empty-account
 *                      deletion): slots of `addr` last written before the wipe read as zero
 * Code is content-addressed by hash and needs no versioning.
 *
 * The coinbase's account header holds its balance *without* the priority fees of the batch
 * (they are kept per transaction and added on read), so paying fees writes no shared location.
 */

export interface AccountValue {
  exists: boolean;
  nonce: bigint;
  /** May be negative for the coinbase only (fees are added on read, see above). */
  balance: bigint;
  /** hex without 0x */
  codeHash: string;
}

export type Value = AccountValue | bigint | true;

export const EMPTY_CODE_HASH = 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';

export const NO_ACCOUNT: AccountValue = {
  exists: false,
  nonce: 0n,
  balance: 0n,
  codeHash: EMPTY_CODE_HASH,
};

export const accountKey = (addr: string): string => `a${addr}`;
export const slotKey = (addr: string, slot: string): string => `s${addr}${slot}`;
export const wipeKey = (addr: string): string => `r${addr}`;

export function keyAddress(key: string): string {
  return key.slice(1, 41);
}

export function keySlot(key: string): string {
  return key.slice(41);
}

export function sameAccount(a: AccountValue, b: AccountValue): boolean {
  return (
    a.exists === b.exists &&
    a.nonce === b.nonce &&
    a.balance === b.balance &&
    a.codeHash === b.codeHash
  );
}

export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object') return sameAccount(a, b);
  return false;
}
