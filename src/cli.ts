/**
 * The `custody` command. Each sub-command lives in src/cli/<name>.ts and exports
 * `register(program)`; this file only wires them and turns any error into one readable line
 * on stderr and a non-zero exit (never a stack trace for expected failures).
 *
 * Only the module of the command being run is loaded (a command's module pulls in the VM, the
 * database client or the HTTP stack): `custody --version` loads none of them. Help for the
 * whole program and unknown commands load them all, so both list every command.
 */
import { Command, CommanderError } from 'commander';
import { formatCliError } from './cli/errors.ts';

interface CommandModule {
  register(program: Command): void;
}

/** sub-command (and alias) → its module */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  start: () => import('./cli/start.ts'),
  serve: () => import('./cli/start.ts'),
  migrate: () => import('./cli/migrate.ts'),
  audit: () => import('./cli/audit.ts'),
  exec: () => import('./cli/exec.ts'),
  state: () => import('./cli/state.ts'),
  signer: () => import('./cli/signer.ts'),
  backup: () => import('./cli/backup.ts'),
  register: () => import('./cli/register.ts'),
  settle: () => import('./cli/settle.ts'),
  'decode-commitment': () => import('./cli/decode-commitment.ts'),
  'api-key': () => import('./cli/api-key.ts'),
};

/** The modules `argv` needs: the named command's, none for --version, else all of them. */
async function modulesFor(argv: readonly string[]): Promise<CommandModule[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const load = first === undefined ? undefined : COMMANDS[first];
  if (load !== undefined) return [await load()];
  if (first === undefined && argv.some((a) => a === '--version' || a === '-V')) return [];
  const all = await Promise.all(Object.values(COMMANDS).map((l) => l()));
  return [...new Set(all)]; // `serve` is `start`'s alias: one module
}

const program = new Command('custody')
  .description('Parallel rollup batch execution, threshold custody and Bitcoin settlement')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

(await import('./cli/version.ts')).register(program);
for (const m of await modulesFor(process.argv.slice(2))) m.register(program);

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
