/**
 * `custody start --demo` from the real process: with litecoind on the PATH it runs a private
 * regtest node under DATA_DIR, funds the custody address, submits batches with withdrawals and
 * settles them live; the settlements reach `confirmed` with no one else doing anything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUSTODY_BIN, cleanEnv, ROOT } from '../../../support/cli.ts';
import { restClient } from '../../../support/custody-start.ts';
import { LITECOIND } from '../../../support/litecoind.ts';

const BOOTSTRAP = 'demo-test-bootstrap-key-0123456789';
const dir = mkdtempSync(path.join(tmpdir(), 'custody-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('custody start --demo', () => {
  it('settles generated batches live on a private regtest node', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, [CUSTODY_BIN, 'start', '--demo'], {
      cwd: ROOT,
      // The node binary's folder on the PATH, as a user who installed it has it.
      env: {
        ...cleanEnv({ DATA_DIR: dir, PORT: '0', BOOTSTRAP_API_KEY: BOOTSTRAP, LOG_LEVEL: 'warn' }),
        PATH: `${path.dirname(LITECOIND)}:${process.env.PATH}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${err.slice(-1500)}`)));
      });
      expect(line).toMatch(/demo: batches every 5 s, settled on a private litecoin-regtest node$/);
      const url = /on (http:\/\/127\.0\.0\.1:\d+) /.exec(line)![1]!;
      const api = restClient(url, BOOTSTRAP);
      const deadline = Date.now() + 120_000;
      let confirmed: { id: string; payouts: unknown[] } | undefined;
      while (confirmed === undefined && Date.now() < deadline) {
        const page = await api('GET', '/v1/settlements?limit=100');
        confirmed = page.body.items?.find((s: { status: string }) => s.status === 'confirmed');
        if (confirmed === undefined) await new Promise((r) => setTimeout(r, 500));
      }
      expect(confirmed, err.slice(-1500)).toBeDefined();
      expect(confirmed!.payouts.length).toBeGreaterThan(0);
      // Every approval was the development setting's, and each use was logged.
      expect(err).toMatch(/AUTO_APPROVE=1: settlement approved without approvers/);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
