import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/store/migrations.ts';
import {
  PROVIDERS,
  readSchemaSource,
  renderProviderSchema,
} from '../../src/store/schema-render.ts';
import { ROOT } from '../support/cli.ts';

describe.each(PROVIDERS)('generated %s schema', (provider) => {
  const rendered = renderProviderSchema(readSchemaSource(ROOT), provider);

  it('is current with prisma/schema (forgot `npm run db:generate`?)', () => {
    const committed = readFileSync(
      path.join(ROOT, 'prisma/generated', provider, 'schema.prisma'),
      'utf8',
    );
    expect(committed).toBe(rendered);
  });

  it('has a migration leading to it (forgot `npm run db:generate -- --name …`?)', () => {
    const last = loadMigrations(provider).at(-1)!;
    const snapshot = readFileSync(
      path.join(ROOT, 'prisma/migrations', provider, last.id, 'schema.prisma'),
      'utf8',
    );
    expect(snapshot).toBe(rendered);
  });

  it('numbers migrations the same way for both providers', () => {
    const ids = (p: string) => loadMigrations(p as (typeof PROVIDERS)[number]).map((m) => m.id);
    expect(ids(provider)).toEqual(ids(PROVIDERS[0]));
  });
});
