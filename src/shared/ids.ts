/**
 * Resource ids: `<prefix>_<ULID>`, e.g. `bat_01JD3Z8V5Q9W7X2K4M6N8P0R1S`. The ULID part is 26
 * Crockford base32 characters (48-bit millisecond time, then 80 random bits), so ids sort by
 * creation time, which keyset pagination relies on. Parsing is strict: anything else is a
 * 400 before any database sees it (PostgreSQL refuses NUL bytes with an error, for one).
 */
import { InvalidInputError } from './errors.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

export const ID_PREFIXES = {
  batch: 'bat',
  settlement: 'stl',
  approval: 'apr',
  signingSession: 'sig',
  signer: 'sgn',
  apiKey: 'key',
} as const;
export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

/** The last id's time and random part: ids made in one millisecond count up (monotonic ULID). */
let last: { time: number; digits: number[] } | undefined;

/**
 * A new id, greater than every id this process made before: within one millisecond the random
 * part of the previous id is incremented (the ULID spec's monotonic mode), so ids sort in the
 * order they were made (batches execute in that order).
 */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  const time = Math.max(now, last?.time ?? 0);
  let digits: number[];
  if (last !== undefined && time === last.time) {
    digits = increment(last.digits);
  } else {
    const random = crypto.getRandomValues(new Uint8Array(16));
    // The first digit below 16: room to count up within the millisecond without overflow.
    digits = [...random].map((b, i) => (i === 0 ? b % 16 : b % 32));
  }
  last = { time, digits };
  let head = '';
  for (let t = time, i = 0; i < 10; i++, t = Math.floor(t / 32)) head = CROCKFORD[t % 32] + head;
  return `${prefix}_${head}${digits.map((d) => CROCKFORD[d]).join('')}`;
}

function increment(digits: readonly number[]): number[] {
  const out = [...digits];
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 31) {
      out[i]! += 1;
      return out;
    }
    out[i] = 0;
  }
  throw new Error('id space of one millisecond exhausted');
}

export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_${ULID}$`);
}

export function parseId(value: unknown, prefix: IdPrefix, field: string): string {
  if (typeof value !== 'string' || !idPattern(prefix).test(value)) {
    throw new InvalidInputError(`${field}: expected an id of the form ${prefix}_<26 characters>`, {
      field,
    });
  }
  return value;
}
