import type { Command } from 'commander';
import { verifyAuditLog } from '../store/audit-log.ts';
import { openStore } from '../store/store.ts';
import { loadConfig } from './context.ts';

export function register(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description(
      'check that no audit entry was edited, deleted or reordered; exits 1 and lists the problems if any',
    )
    .option('--expect-head <hash>', 'the head hash recorded earlier outside the database')
    .action(async (opts: { expectHead?: string }) => {
      const config = loadConfig();
      const store = await openStore({ databaseUrl: config.databaseUrl, migrate: false });
      try {
        const result = await verifyAuditLog(
          store.db,
          opts.expectHead ? { expectHead: opts.expectHead } : {},
        );
        process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.ok) {
          process.stderr.write(
            `custody: the audit log failed verification: ${result.problems.map((p) => `entry ${p.seq} ${p.kind}`).join(', ')}\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
