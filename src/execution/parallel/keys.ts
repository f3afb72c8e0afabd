/**
 * Locations of multi-version memory. Block-STM tracks reads and writes per location, and ours
 * are one per account field and one per storage slot (addr: 40 hex chars, slot: 64):
 *   `e<addr>`          whether the account exists (boolean)
 *   `n<addr>`          its nonce (bigint)
 *   `b<addr>`          its balance (bigint)
 *   `c<addr>`          its code hash (hex without 0x)
 *   `s<addr><slot>`    one storage slot (bigint)
 *   `r<addr>`          a storage wipe (CREATE over an address, SELFDESTRUCT, empty-account
 *                      deletion): slots of `addr` last written before the wipe read as zero
 * A transaction that reads only an account's code therefore does not depend on one that only
 * moved value into it. Code itself is content-addressed by hash and needs no versioning.
 *
 * Invariant: the fields of an account that does not exist are zero (nonce 0, balance 0, empty
 * code). A transaction that deletes an account writes `e` false and zeroes the fields it does
 * not know to be zero already; so a field can be read, and a final state assembled, without
 * looking at existence first.
 *
 * Balance credits commute. A transaction that adds value to an account without ever looking at
 * its balance (the callee of a CALL with value) writes a `Credit` to `b` instead of a balance:
 * "the balance below, plus this". Many transfers into one account then do not depend on each
 * other; a transaction that does read the balance sums the credits down to the last absolute
 * value (mvmemory.ts `readBalance`) and depends on every one of them.
 *
 * The coinbase is the exception: its `b` holds its balance *without* the priority fees of the
 * batch (they are kept per transaction and added on read, so paying fees writes no shared
 * location) and may be negative; its `e` excludes an existence that only those fees cause.
 * The coinbase is never credited through a `Credit`.
 */
import { CreditOverflow } from '../errors.ts';

export type AccountField = 'e' | 'n' | 'b' | 'c';

/** An account with every field resolved. */
export interface AccountValue {
  exists: boolean;
  nonce: bigint;
  /** May be negative for the coinbase only (fees are added on read, see above). */
  balance: bigint;
  /** hex without 0x */
  codeHash: string;
}

/** A deferred addition to a balance (see above): a plain object, so it survives postMessage. */
export interface Credit {
  credit: bigint;
}

/** bigint: nonce, balance, slot; boolean: existence; string: code hash; true: a wipe. */
export type Value = bigint | boolean | string | Credit;

export function isCredit(v: Value | undefined): v is Credit {
  return typeof v === 'object';
}

export const MAX_BALANCE = 2n ** 256n - 1n;

/** `balance + credit`, refusing a sum the EVM could never have produced. */
export function credited(balance: bigint, credit: bigint): bigint {
  const sum = balance + credit;
  if (sum > MAX_BALANCE) throw new CreditOverflow();
  return sum;
}

export const EMPTY_CODE_HASH = 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';

export const NO_ACCOUNT: AccountValue = {
  exists: false,
  nonce: 0n,
  balance: 0n,
  codeHash: EMPTY_CODE_HASH,
};

export const fieldKey = (field: AccountField, addr: string): string => `${field}${addr}`;
export const existsKey = (addr: string): string => `e${addr}`;
export const balanceKey = (addr: string): string => `b${addr}`;
export const codeKey = (addr: string): string => `c${addr}`;
export const slotKey = (addr: string, slot: string): string => `s${addr}${slot}`;
export const wipeKey = (addr: string): string => `r${addr}`;

export function keyAddress(key: string): string {
  return key.slice(1, 41);
}

export function keySlot(key: string): string {
  return key.slice(41);
}

/** The account field a location holds, if it is one. */
export function keyField(key: string): AccountField | undefined {
  const k = key[0];
  return k === 'e' || k === 'n' || k === 'b' || k === 'c' ? k : undefined;
}

/** A field's value proper (a `Credit` only ever stands for a balance). */
export type FieldValue = bigint | boolean | string;

/**
 * The value of `field` in `account`, as multi-version memory stores it; undefined for a field
 * a partial account (a transaction's overlay) does not set.
 */
export function fieldOf(account: AccountValue, field: AccountField): FieldValue;
export function fieldOf(
  account: Partial<AccountValue>,
  field: AccountField,
): FieldValue | undefined;
export function fieldOf(
  account: Partial<AccountValue>,
  field: AccountField,
): FieldValue | undefined {
  switch (field) {
    case 'e':
      return account.exists;
    case 'n':
      return account.nonce;
    case 'b':
      return account.balance;
    case 'c':
      return account.codeHash;
  }
}

/** An account assembled from its fields, each given by `read`. */
export function accountOf(read: (field: AccountField) => FieldValue): AccountValue {
  return {
    exists: read('e') as boolean,
    nonce: read('n') as bigint,
    balance: read('b') as bigint,
    codeHash: read('c') as string,
  };
}

export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (isCredit(a) && isCredit(b)) return a.credit === b.credit;
  return a === b;
}
