import type { Command } from 'commander';
import { parseDatabaseUrl } from '../store/database-url.ts';
import { checkMigrations, migrate } from '../store/store.ts';
import { loadConfig } from './context.ts';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL), or list them with --status')
    .option('--status', 'list pending migrations without applying them')
    .action(async (opts: { status?: boolean }) => {
      const config = loadConfig();
      const target = parseDatabaseUrl(config.databaseUrl);
      if (opts.status) {
        const pending = await checkMigrations(target);
        process.stdout.write(`${JSON.stringify({ pending })}\n`);
        return;
      }
      const result = await migrate(target);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
