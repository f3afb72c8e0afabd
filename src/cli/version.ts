import type { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };

export function register(program: Command): void {
  program.version(pkg.version, '-V, --version', 'print the version');
}
