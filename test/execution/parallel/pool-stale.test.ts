/**
 * The pool loaded from src/ (tests, `tsx bench/index.ts`) must not start an out-of-date
 * dist/worker.js: after an edit to the worker's source, the worker that starts runs the edit.
 * Run on a copy of the project, so the working tree's dist/ stays as it is.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { projectCopy, touchSource } from '../../scripts/build-copy.ts';

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

it('an edited worker source is rebuilt before a worker starts', { timeout: 120_000 }, () => {
  const dir = projectCopy();
  copies.push(dir);
  const mark = path.join(dir, 'fresh-worker-ran');
  // the edit: the worker leaves a file behind when it loads
  appendFileSync(
    path.join(dir, 'src/execution/parallel/worker.ts'),
    `\nvoid import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(mark)}, 'yes'));\n`,
  );
  touchSource(dir, 'src/execution/parallel/worker.ts');
  writeFileSync(
    path.join(dir, 'probe.ts'),
    `import { existsSync } from 'node:fs';
import { acquireWorkers, closeWorkerPool } from './src/execution/parallel/pool.ts';
acquireWorkers(1);
const until = Date.now() + 20_000;
while (!existsSync(${JSON.stringify(mark)}) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
await closeWorkerPool();
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'probe.ts'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(existsSync(mark), 'the worker ran the code built before the edit').toBe(true);
});
