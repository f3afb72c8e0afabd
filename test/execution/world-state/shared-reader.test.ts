/**
 * Executor workers read the persisted pre-state themselves: a worker thread opens the world
 * state read-only beside the committing owner, sees each new head, and cannot commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Address, createAccount, hexToBytes } from '@ethereumjs/util';
import { afterAll, describe, expect, it } from 'vitest';
import { openWorldState } from '../../../src/execution/world-state/world-state.ts';
import { NotFoundError } from '../../../src/shared/errors.ts';

const ALICE = '0x00000000000000000000000000000000000a11ce';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  head: string;
  balance: string;
  commitRefused: string;
}

function ask(worker: Worker, root: string): Promise<Answer> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage({ root, address: ALICE });
  });
}

describe('read-only world state in a worker thread', () => {
  it('reads every committed head while the owner keeps committing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'world-state-reader-'));
    dirs.push(dir);
    const ws = await openWorldState(dir, { genesis: { [ALICE]: { balance: '0x64' } } });
    // Workers start without vitest's TypeScript transform: load the module through tsx's API.
    const entry = new URL('./reader-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
    const worker = new Worker(boot, { eval: true, workerData: { dir } });
    try {
      await new Promise((resolve) => worker.once('message', resolve));
      const genesis = ws.headRoot();
      expect(await ask(worker, genesis)).toMatchObject({ head: genesis, balance: '100' });

      const sm = ws.stateManagerAt();
      await sm.putAccount(new Address(hexToBytes(ALICE)), createAccount({ balance: 7n }));
      const { root } = await ws.commitFrom(sm);
      const answer = await ask(worker, root);
      expect(answer).toMatchObject({ head: root, balance: '7' });
      expect(answer.commitRefused).toMatch(/read-only/);
      expect((await ask(worker, genesis)).balance).toBe('100');
    } finally {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
      await ws.close();
    }
  });

  it('a read-only open of a missing world state is NotFound, not an empty chain', async () => {
    await expect(
      openWorldState(join(tmpdir(), 'no-such-world-state-dir'), { readOnly: true }),
    ).rejects.toThrow(NotFoundError);
  });
});
