/**
 * A coordinator killed with SIGKILL cannot stop its signers; a signer started with
 * exitWithParent notices its parent's end of stdin closing and stops, freeing its port and
 * database instead of lingering as an orphan.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { makeSignerHome, removeHome } from './harness.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const home = makeSignerHome('orphan', generateIdentity().publicKey);
afterAll(() => removeHome(home));

it('a signer whose parent was SIGKILLed stops by itself (orphaned signer)', async () => {
  const parent = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/api/signer/fixtures/launch-and-wait.ts',
      home.configFile,
      home.kekFile,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line!) as { url: string }).url);
    });
    parent.on('exit', (code) => reject(new Error(`launcher exited with ${code}`)));
  });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 15_000;
  let stopped = false;
  while (!stopped && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    stopped = await fetch(`${url}/healthz`).then(
      () => false,
      () => true,
    );
  }
  expect(stopped).toBe(true);
});
