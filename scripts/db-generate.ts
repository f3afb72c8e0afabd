/**
 * Regenerates everything derived from prisma/schema/*.prisma, offline:
 *   1. prisma/generated/<provider>/schema.prisma for SQLite and PostgreSQL;
 *   2. the two Prisma clients under src/store/generated/<provider>;
 *   3. when the schema changed since the last migration, a new migration per provider in
 *      prisma/migrations/<provider>/<NNNN>_<name>/ (migration.sql plus a snapshot of the
 *      schema it leads to, which is what the next diff starts from).
 * Usage: npm run db:generate [-- --name add_widgets]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  PROVIDERS,
  type Provider,
  readSchemaSource,
  renderProviderSchema,
} from '../src/store/schema-render.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { name: { type: 'string' } } });

function prisma(provider: Provider, args: string[]): string {
  return execFileSync(path.join(root, 'node_modules', '.bin', 'prisma'), args, {
    cwd: root,
    env: { ...process.env, PRISMA_TARGET: provider, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function migrationDirs(provider: Provider): string[] {
  const dir = path.join(root, 'prisma', 'migrations', provider);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^\d{4}_[a-z0-9_]+$/.test(d))
    .sort();
}

function nextMigrationNumber(): string {
  const all = PROVIDERS.flatMap(migrationDirs).map((d) => Number(d.slice(0, 4)));
  return String(Math.max(0, ...all) + 1).padStart(4, '0');
}

const source = readSchemaSource(root);
const number = nextMigrationNumber();
for (const provider of PROVIDERS) {
  const schema = renderProviderSchema(source, provider);
  const schemaPath = path.join(root, 'prisma', 'generated', provider, 'schema.prisma');
  mkdirSync(path.dirname(schemaPath), { recursive: true });
  writeFileSync(schemaPath, schema);
  prisma(provider, ['generate', '--schema', schemaPath]);

  const previous = migrationDirs(provider).at(-1);
  const snapshotPath = previous
    ? path.join(root, 'prisma', 'migrations', provider, previous, 'schema.prisma')
    : undefined;
  if (snapshotPath && readFileSync(snapshotPath, 'utf8') === schema) continue;
  if (!values.name || !/^[a-z0-9_]+$/.test(values.name)) {
    throw new Error('the schema changed: pass --name <snake_case_name> for the new migration');
  }
  const from = snapshotPath ? ['--from-schema-datamodel', snapshotPath] : ['--from-empty'];
  const sql = prisma(provider, [
    'migrate',
    'diff',
    ...from,
    '--to-schema-datamodel',
    schemaPath,
    '--script',
  ]);
  const dir = path.join(root, 'prisma', 'migrations', provider, `${number}_${values.name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'migration.sql'), sql);
  writeFileSync(path.join(dir, 'schema.prisma'), schema);
  console.error(`wrote ${path.relative(root, dir)}`);
}
