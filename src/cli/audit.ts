import type { Command } from 'commander';
import { verifyApprovals } from '../api/coordinator/approvals/verify.ts';
import { nodeGenesis } from '../api/coordinator/world-state.ts';
import { settlementNetwork } from '../settlement/networks.ts';
import { verifyAuditLog } from '../store/audit-log.ts';
import { openStore } from '../store/store.ts';
import { loadConfig } from './context.ts';

export function register(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description(
      'check that no audit entry was edited, deleted or reordered and that every recorded treasurer approval signature verifies; exits 1 and lists the problems if any',
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
        const approvals = await verifyApprovals(store.db, {
          network: settlementNetwork(config.network),
          chainId: nodeGenesis(config).chainId,
          treasurers: config.approvals.treasurers,
        });
        process.stdout.write(`${JSON.stringify({ ...result, approvals })}\n`);
        if (!result.ok) {
          process.stderr.write(
            `custody: the audit log failed verification: ${result.problems.map((p) => `entry ${p.seq} ${p.kind}`).join(', ')}\n`,
          );
          process.exitCode = 1;
        }
        if (approvals.problems.length > 0) {
          process.stderr.write(
            `custody: ${approvals.problems.length} recorded approval(s) failed verification: ${approvals.problems.map((p) => `${p.approvalId} (${p.problem})`).join(', ')}\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
