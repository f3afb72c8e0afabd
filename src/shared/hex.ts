/**
 * Hex and quantity conversions checked at the boundary. Every parser names the field it was
 * given, so a caller's error says which input was wrong (the @noble/curves style).
 */
import { InvalidInputError } from './errors.ts';

const HEX_BYTES = /^0x([0-9a-fA-F]{2})*$/;

/** 0x-prefixed, even-length hex to bytes; `length` (in bytes) is enforced when given. */
export function parseHexBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (typeof value !== 'string' || !HEX_BYTES.test(value)) {
    throw new InvalidInputError(`${field}: expected 0x-prefixed hex bytes`, { field });
  }
  const bytes = Buffer.from(value.slice(2), 'hex');
  if (length !== undefined && bytes.length !== length) {
    throw new InvalidInputError(`${field}: expected ${length} bytes, got ${bytes.length}`, {
      field,
    });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A quantity as geth writes them in a genesis alloc: 0x-hex without leading zeros. Leading
 * zeros are tolerated on input ("0x00" occurs in the wild), decimal strings are not.
 */
export function parseQuantity(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new InvalidInputError(`${field}: expected a 0x-hex quantity`, { field });
  }
  return BigInt(value);
}

export function bytesToHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

export function toQuantity(value: bigint | number): string {
  const n = BigInt(value);
  if (n < 0n) throw new RangeError('quantity must not be negative');
  return `0x${n.toString(16)}`;
}
