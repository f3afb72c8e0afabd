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
  const seen = new Set(keys.map(hex));
  if (seen.size !== keys.length) {
    throw new InvalidInputError(`${field}: the same key appears twice`, { field });
  }
}

/** Plain (unprefixed) hex, the form Bitcoin tools print scripts and keys in. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A transaction input's outpoint as Bitcoin Core displays it (`txid:vout`, txid reversed). */
export function inputOutpoint(input: { hash: Uint8Array; index: number }): string {
  return `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`;
}

/** `sigs` minus those by a key that already signed (`existing`). */
export function withoutSigners<T extends { publicKey: Uint8Array }>(
  sigs: readonly T[],
  existing: readonly { publicKey: Uint8Array }[],
): T[] {
  const known = new Set(existing.map((s) => hex(s.publicKey)));
  return sigs.filter((s) => !known.has(hex(s.publicKey)));
}
