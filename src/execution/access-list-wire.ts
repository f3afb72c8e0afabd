/**
 * The JSON wire format of an `AccessList` (accessList.ts): how the coordinator keeps and sends
 * the list its parallel run produced, and what a signer accepts before `verifyWithAccessList`.
 *
 *   [{ "reads": [KEY, ...], "writes": [[KEY, VALUE], ...], "fee": "0x..",
 *      "codes": [[HASH, "0x<code>"], ...] }, ...]
 *
 * A VALUE is self-describing and must fit its key (parallel/keys.ts): a JSON boolean for an
 * existence `e` or wipe `r`, a 0x-quantity for a nonce `n` or slot `s`, a 64-hex code hash for
 * `c`, and for a balance `b` a quantity (negative only for the coinbase, "-0x..") or a deferred
 * `{ "credit": "0x.." }`. The list comes from another process, so the decoder checks every
 * field and size before anything runs and names the first bad one (`accessList[3].writes[0]`);
 * whether the list is *true* is `verifyWithAccessList`'s question, not this one's.
 */
import { InvalidInputError } from '../shared/errors.ts';
import type { AccessList, TxAccess } from './accessList.ts';
import { MAX_BATCH_TXS } from './batch.ts';
import type { Value } from './parallel/keys.ts';

/** Far above what one transaction under a block gas limit can touch, far below a memory bomb. */
export const MAX_LOCATIONS_PER_TX = 100_000;
export const MAX_CODES_PER_TX = 1_000;
/** EIP-170's limit on deployed code. */
export const MAX_CODE_BYTES = 24_576;

const ADDR = '[0-9a-f]{40}';
const ACCOUNT_KEY = new RegExp(`^[enbcr]${ADDR}$`);
const SLOT_KEY = new RegExp(`^s${ADDR}[0-9a-f]{64}$`);
const HASH = /^[0-9a-f]{64}$/;
const QUANTITY = /^-?0x(0|[1-9a-f][0-9a-f]{0,63})$/;
const CODE = /^0x([0-9a-f]{2})*$/;

export function encodeAccessList(list: AccessList): unknown {
  return list.map((entry) => ({
    reads: entry.reads,
    writes: entry.writes.map(([key, value]) => [key, encodeValue(value)]),
    fee: quantity(entry.fee),
    codes: entry.codes.map(([hash, code]) => [hash, `0x${Buffer.from(code).toString('hex')}`]),
  }));
}

export function decodeAccessList(json: unknown, field = 'accessList'): AccessList {
  const entries = array(json, field, MAX_BATCH_TXS);
  return entries.map((entry, i) => decodeEntry(entry, `${field}[${i}]`));
}

function decodeEntry(json: unknown, at: string): TxAccess {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw bad(at, 'expected an object {reads, writes, fee, codes}');
  }
  const o = json as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => !['reads', 'writes', 'fee', 'codes'].includes(k));
  if (extra !== undefined) throw bad(`${at}.${extra}`, 'unknown field');
  const reads = array(o.reads, `${at}.reads`, MAX_LOCATIONS_PER_TX).map((k, i) =>
    key(k, `${at}.reads[${i}]`),
  );
  const writes = array(o.writes, `${at}.writes`, MAX_LOCATIONS_PER_TX).map((w, i) =>
    decodeWrite(w, `${at}.writes[${i}]`),
  );
  const fee = bigQuantity(o.fee, `${at}.fee`, false);
  const codes = array(o.codes, `${at}.codes`, MAX_CODES_PER_TX).map((c, i) =>
    decodeCode(c, `${at}.codes[${i}]`),
  );
  return { reads, writes, fee, codes };
}

function decodeWrite(json: unknown, at: string): [string, Value] {
  const pair = array(json, at, 2);
  if (pair.length !== 2) throw bad(at, 'expected [key, value]');
  const k = key(pair[0], `${at}[0]`);
  return [k, valueFor(k, pair[1], `${at}[1]`)];
}

/** The value a location of this kind can hold (see the module comment). */
function valueFor(k: string, json: unknown, at: string): Value {
  switch (k[0]) {
    case 'e':
    case 'r':
      if (typeof json !== 'boolean') throw bad(at, 'expected true or false');
      return json;
    case 'c':
      if (typeof json !== 'string' || !HASH.test(json)) {
        throw bad(at, 'expected a code hash: 64 lowercase hex characters without 0x');
      }
      return json;
    case 'b':
      if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
        const o = json as Record<string, unknown>;
        if (Object.keys(o).length !== 1 || !('credit' in o)) {
          throw bad(at, 'expected a balance or {"credit": "0x.."}');
        }
        return { credit: bigQuantity(o.credit, `${at}.credit`, false) };
      }
      // Negative only for the coinbase, whose balance is kept without the batch's fees.
      return bigQuantity(json, at, true);
    default:
      return bigQuantity(json, at, false);
  }
}

function decodeCode(json: unknown, at: string): [string, Uint8Array] {
  const pair = array(json, at, 2);
  if (pair.length !== 2) throw bad(at, 'expected [hash, code]');
  const [hash, code] = pair;
  if (typeof hash !== 'string' || !HASH.test(hash)) {
    throw bad(`${at}[0]`, 'expected a code hash: 64 lowercase hex characters without 0x');
  }
  if (typeof code !== 'string' || code.length > 2 + 2 * MAX_CODE_BYTES || !CODE.test(code)) {
    throw bad(`${at}[1]`, `expected 0x-hex code of at most ${MAX_CODE_BYTES} bytes`);
  }
  return [hash, new Uint8Array(Buffer.from(code.slice(2), 'hex'))];
}

function key(json: unknown, at: string): string {
  if (typeof json !== 'string' || !(ACCOUNT_KEY.test(json) || SLOT_KEY.test(json))) {
    throw bad(at, 'expected a location: e|n|b|c|r + 40 hex address, or s + address + 64 hex slot');
  }
  return json;
}

function bigQuantity(json: unknown, at: string, signed: boolean): bigint {
  if (typeof json !== 'string' || !QUANTITY.test(json) || (!signed && json.startsWith('-'))) {
    throw bad(at, `expected a ${signed ? 'signed ' : ''}0x-quantity of at most 256 bits`);
  }
  const negative = json.startsWith('-');
  const magnitude = BigInt(negative ? json.slice(1) : json);
  if (negative && magnitude === 0n) throw bad(at, 'expected 0x0, not -0x0');
  return negative ? -magnitude : magnitude;
}

function array(json: unknown, at: string, max: number): unknown[] {
  if (!Array.isArray(json)) throw bad(at, 'expected an array');
  if (json.length > max) throw bad(at, `at most ${max} items`);
  return json;
}

function encodeValue(value: Value): unknown {
  if (typeof value === 'bigint') return quantity(value);
  if (typeof value === 'object') return { credit: quantity(value.credit) };
  return value;
}

function quantity(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function bad(field: string, what: string): InvalidInputError {
  return new InvalidInputError(`${field}: ${what}`, { field });
}
