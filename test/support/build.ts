/**
 * Vitest global set-up: builds dist/ once before any test runs when src/ changed since the
 * last build. The CLI tests run the built command, and worker threads always run dist/worker.js
 * (src/execution/parallel/pool.ts), also when the test imports the executor from src/.
 */
import { build } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await build({ ifStale: true });
}
