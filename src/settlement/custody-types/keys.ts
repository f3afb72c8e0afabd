/** Key parsing at the boundary of the custody types: the field name goes into every error. */
import { InvalidInputError } from '../../shared/errors.ts';
import { ecc } from '../ecc.ts';

export function toBytes(value: string | Uint8Array, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const hex = value.startsWith('0x') ? value.slice(2) : value;
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new InvalidInputError(`${field}: expected hex bytes`, { field });
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function parseXOnlyKey(value: string | Uint8Array, field: string): Uint8Array {
  const bytes = toBytes(value, field);
  if (bytes.length !== 32 || !ecc.isXOnlyPoint(bytes)) {
    throw new InvalidInputError(`${field}: expected a 32-byte x-only secp256k1 point`, { field });
  }
  return bytes;
}

export function parseCompressedKey(value: string | Uint8Array, field: string): Uint8Array {
  const bytes = toBytes(value, field);
  if (bytes.length !== 33 || !ecc.isPoint(bytes)) {
    throw new InvalidInputError(`${field}: expected a 33-byte compressed secp256k1 point`, {
      field,
    });
  }
  return bytes;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function checkThreshold(threshold: number, keyCount: number): void {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keyCount) {
    throw new InvalidInputError(`threshold: expected an integer from 1 to ${keyCount}`, {
      field: 'threshold',
    });
  }
}

export function checkDistinct(keys: readonly Uint8Array[], field: string): void {
  const seen = new Set(keys.map((k) => Buffer.from(k).toString('hex')));
  if (seen.size !== keys.length) {
    throw new InvalidInputError(`${field}: the same key appears twice`, { field });
  }
}
