/**
 * Prisma CLI configuration, used only by scripts/db-generate.ts (never at run time).
 * The JavaScript schema engine with a driver adapter lets `prisma generate` and
 * `prisma migrate diff` run without downloading Prisma's native engines. The target provider
 * comes from PRISMA_TARGET because one schema file cannot switch provider.
 */
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

const target = process.env.PRISMA_TARGET === 'postgresql' ? 'postgresql' : 'sqlite';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'generated', target, 'schema.prisma'),
  async adapter() {
    if (target === 'postgresql') {
      return new PrismaPg({
        connectionString:
          process.env.PRISMA_SHADOW_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
      });
    }
    return new PrismaBetterSQLite3({ url: ':memory:' });
  },
});
