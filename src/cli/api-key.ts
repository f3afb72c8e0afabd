/**
 * `custody api-key create|list|revoke`: API keys for the REST API, on the configured database.
 * `create` prints the token once (only its hash is stored); pipe it where it is needed.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  createApiKey,
  revokeApiKey,
  SCOPES,
  type Scope,
  view,
} from '../api/coordinator/rest/api-keys.ts';
import { ID_PREFIXES, parseId } from '../shared/ids.ts';
import { openStore } from '../store/store.ts';
import { loadConfig } from './context.ts';

function scopes(value: string): Scope[] {
  const list = value.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`expected scopes from ${SCOPES.join(', ')}, got "${s}"`);
    }
  }
  return list as Scope[];
}

function perMinute(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError('expected 1 to 9999999');
  return Number(value);
}

async function withStore<T>(fn: (db: Awaited<ReturnType<typeof openStore>>['db']) => Promise<T>) {
  const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
  try {
    process.stdout.write(`${JSON.stringify(await fn(store.db))}\n`);
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const cmd = program.command('api-key').description('API keys for the REST API');
  cmd
    .command('create')
    .description('create a key; prints {id, token, ...} (the token is shown this once)')
    .requiredOption('--name <name>', 'who the key is for')
    .requiredOption('--scopes <list>', `comma-separated: ${SCOPES.join(', ')}`, scopes)
    .option('--rate-limit <perMinute>', 'requests a minute (default 600)', perMinute)
    .action(async (o: { name: string; scopes: Scope[]; rateLimit?: number }) =>
      withStore((db) =>
        createApiKey(db, {
          name: o.name,
          scopes: o.scopes,
          ...(o.rateLimit === undefined ? {} : { rateLimitPerMinute: o.rateLimit }),
          actor: 'cli',
        }),
      ),
    );
  cmd
    .command('list')
    .description('every key (never its token)')
    .action(async () =>
      withStore(async (db) => (await db.apiKey.findMany({ orderBy: { id: 'asc' } })).map(view)),
    );
  cmd
    .command('revoke')
    .description('revoke a key at once')
    .argument('<id>', 'the key id (key_…)')
    .action(async (id: string) =>
      withStore((db) => revokeApiKey(db, parseId(id, ID_PREFIXES.apiKey, 'id'), 'cli')),
    );
}
