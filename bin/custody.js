#!/usr/bin/env node
// The `custody` command. `npm install` builds dist/ (the `prepare` script); in a working tree
// where src/ changed since, it is rebuilt first (a few seconds, said on stderr), so the command
// never runs stale code and never compiles TypeScript on the fly.
import { build } from '../scripts/build.mjs';

try {
  if (await build({ ifStale: true }))
    process.stderr.write('custody: rebuilt dist/ (src/ had changed)\n');
} catch {
  process.stderr.write('custody: dist/ is out of date and could not be rebuilt (npm run build)\n');
  process.exit(1);
}
try {
  await import('../dist/cli.js');
} catch (error) {
  process.stderr.write(`custody: cannot load dist/cli.js (${error?.message ?? error})\n`);
  process.exitCode = 1;
}
