/** Where the shared reference vectors live: ../shared/fixtures relative to the project root. */
import { readFileSync } from 'node:fs';

export const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

export function readFixtureJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}

export function readFixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

export interface Bip340Vector {
  index: string;
  secretKey: string;
  publicKey: string;
  auxRand: string;
  message: string;
  signature: string;
  ok: boolean;
  comment: string;
}

/** bips/bip340-test-vectors.csv, one object per row (hex fields as in the file). */
export function readBip340Vectors(): Bip340Vector[] {
  return readFixtureText('bips/bip340-test-vectors.csv')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [index, secretKey, publicKey, auxRand, message, signature, result, comment] = line
        .split(',')
        .map((field) => field.trim());
      return {
        index: index ?? '',
        secretKey: secretKey ?? '',
        publicKey: publicKey ?? '',
        auxRand: auxRand ?? '',
        message: message ?? '',
        signature: signature ?? '',
        ok: result === 'TRUE',
        comment: comment ?? '',
      };
    });
}

/** A wire object as it arrives from another process: serialized and parsed again. */
export function overTheWire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}
