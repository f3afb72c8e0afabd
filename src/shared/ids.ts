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

export function newId(prefix: IdPrefix, now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const random = crypto.getRandomValues(new Uint8Array(16));
  let rest = '';
  for (let i = 0; i < 16; i++) rest += CROCKFORD[random[i]! % 32];
  return `${prefix}_${time}${rest}`;
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
