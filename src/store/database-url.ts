/**
 * DATABASE_URL decides the provider: `file:<path>` is an SQLite file (the embedded default),
 * `postgresql://` or `postgres://` is PostgreSQL. Anything else is refused here, before any
 * connection is attempted.
 */
import path from 'node:path';
import { InvalidInputError } from '../shared/errors.ts';

export type DatabaseTarget =
  | { provider: 'sqlite'; file: string }
  | { provider: 'postgresql'; url: string };

export function parseDatabaseUrl(url: string, field = 'DATABASE_URL'): DatabaseTarget {
  if (url.startsWith('file:')) {
    const file = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '' || file.includes('\0')) {
      throw new InvalidInputError(`${field}: expected file:<path to an SQLite file>`, { field });
    }
    return { provider: 'sqlite', file: path.resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new InvalidInputError(`${field}: not a valid PostgreSQL URL`, { field });
    }
    return { provider: 'postgresql', url };
  }
  throw new InvalidInputError(
    `${field}: expected file:<path> (SQLite) or postgresql://… (PostgreSQL)`,
    { field },
  );
}
