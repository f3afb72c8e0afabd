#!/usr/bin/env node
// The `custody` command. `npm install` builds dist/ (the `prepare` script); in a working tree
// where src/ changed since, it is rebuilt first (a few seconds, said on stderr), so the command
// never runs stale code and never compiles TypeScript on the fly. The freshness check loads no
// esbuild (a devDependency, absent after `npm install --omit=dev`); only a rebuild does.
import { hasDist, isStale } from '../scripts/build-stamp.mjs';

if (isStale()) {
  try {
    const { build } = await import('../scripts/build.mjs');
    if (await build({ ifStale: true, label: 'custody' }))
      process.stderr.write('custody: rebuilt dist/ (src/ had changed)\n');
  } catch (error) {
    if (error?.code !== 'ESBUILD_MISSING') {
      process.stderr.write(
        'custody: dist/ is out of date and could not be rebuilt (npm run build)\n',
      );
      process.exit(1);
    }
    if (!hasDist()) {
      process.stderr.write(
        'custody: dist/ is missing and esbuild is not installed: run `npm install` with dev dependencies\n',
      );
      process.exit(1);
    }
    process.stderr.write(
      'custody: dist/ is stale and esbuild is not installed: run `npm install` with dev dependencies to rebuild; running the dist/ you have\n',
    );
  }
}
try {
  await import('../dist/cli.js');
} catch (error) {
  process.stderr.write(`custody: cannot load dist/cli.js (${error?.message ?? error})\n`);
  process.exitCode = 1;
}
