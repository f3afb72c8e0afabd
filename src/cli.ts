/**
 * The `custody` command. Each sub-command lives in src/cli/<name>.ts and exports
 * `register(program)`; this file only wires them and turns any error into one readable line
 * on stderr and a non-zero exit (never a stack trace for expected failures).
 */
import { Command, CommanderError } from 'commander';
import { formatCliError } from './cli/errors.ts';

const program = new Command('custody')
  .description('Parallel rollup batch execution, threshold custody and Bitcoin settlement')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const modules = [
  await import('./cli/version.ts'),
  await import('./cli/start.ts'),
  await import('./cli/migrate.ts'),
  await import('./cli/audit.ts'),
  await import('./cli/exec.ts'),
  await import('./cli/state.ts'),
  await import('./cli/signer.ts'),
  await import('./cli/backup.ts'),
];
for (const m of modules) m.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`${formatCliError(error)}\n`);
    process.exitCode = 1;
  }
}
