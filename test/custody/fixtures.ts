/** Where the shared reference vectors live: ../shared/fixtures relative to the project root. */
import { readFileSync } from 'node:fs';

export const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);

export function readFixtureJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}

export function readFixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

/** A wire object as it arrives from another process: serialized and parsed again. */
export function overTheWire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}
