/**
 * Boundary checks for wire objects: every failure names the field, like @noble/curves' checks,
 * and throws InvalidInputError (a 400 at the API).
 */
import { InvalidInputError } from '../shared/errors.ts';
import { parseHexBytes } from '../shared/hex.ts';

export function expectObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${field}: expected an object`, { field });
  }
  return value as Record<string, unknown>;
}

export function expectArray(value: unknown, field: string, maxLength = 1000): unknown[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`${field}: expected an array`, { field });
  if (value.length > maxLength) {
    throw new InvalidInputError(`${field}: at most ${maxLength} items`, { field });
  }
  return value;
}

export function expectString(value: unknown, field: string, maxLength = 200): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidInputError(
      `${field}: expected a non-empty string of at most ${maxLength} characters`,
      {
        field,
      },
    );
  }
  return value;
}

export function expectInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${field}: expected an integer from ${min} to ${max}`, { field });
  }
  return value;
}

/** Re-encode checked hex in lower case, so equal bytes always give equal strings. */
export function expectHex(value: unknown, field: string, length?: number): string {
  const bytes = parseHexBytes(value, field, length);
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}
