/**
 * What a newcomer sees: `custody start` with no treasurers configured (development: the
 * embedded SQLite, local signers, offline backend), then a fresh browser at `/`. Without
 * typing anything the page signs in with its own generated key, warns that this is
 * development, and shows the pending settlement with an Approve button; one approval (quorum
 * 1) takes it to `exported`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../execution/support/txs.ts';
import { launchChromium, recordErrors } from '../../support/browser.ts';
import {
  ROOT,
  restClient,
  type StartedProcess,
  startCustody,
  until,
} from '../../support/custody-start.ts';
import { fundedGenesis } from '../../support/genesis.ts';
import { withdrawalSigner } from '../../support/withdrawals.ts';

const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const BOOTSTRAP = 'dashboard-dev-bootstrap-key-0123456789';
const PAYEE = `0014${'5a'.repeat(20)}`;
let proc: StartedProcess;
let browser: Browser;
let dir: string;
const rollupKey = newKey();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), 'custody-dashboard-dev-'));
  proc = await startCustody({
    DATA_DIR: path.join(dir, 'data'),
    PORT: '0',
    GENESIS_FILE: fundedGenesis(dir, rollupKey.address),
    SETTLE_INTERVAL_MS: '1000',
    BOOTSTRAP_API_KEY: BOOTSTRAP,
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in development', () => {
  it('a fresh browser at / signs in by itself and approves with its own key', {
    timeout: 180_000,
  }, async () => {
    const api = restClient(proc.url, BOOTSTRAP);
    await until(
      () => api('GET', '/v1/custody'),
      (r) => r.status === 200,
      90_000,
    );
    const output = { txid: '77'.repeat(32), vout: 0, valueSats: '3000000' };
    expect((await api('POST', '/v1/custody/outputs', output)).status).toBe(201);
    const txs = withdrawalSigner(rollupKey)([{ scriptPubKey: PAYEE, sats: 70_000n }]);
    expect((await api('POST', '/v1/batches', { txs })).status).toBe(202);
    const pending = await until(
      () => api('GET', '/v1/approvals'),
      (r) => r.body.items?.length > 0,
      90_000,
    );
    const id = pending.body.items[0].settlementId as string;

    const errors: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = recordErrors(await context.newPage(), 'page', errors);
    await page.goto(proc.url);
    const card = page.locator(`#pending article[data-settlement="${id}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await page.locator('.dev-mode').textContent()).toMatch(/Development mode/);
    expect(await page.locator('.session .dev').textContent()).toBe('development key');
    expect(await card.textContent()).toContain('0.00070000 BTC (70,000 sats)');
    await page.screenshot({ path: path.join(SHOTS, 'dev-1-pending.png'), fullPage: true });
    // The key the page made is its own, kept for the next visit.
    const key = await page.evaluate<string | null>(
      "localStorage.getItem('custody.developmentKey')",
    );
    expect(key).toMatch(/^0x[0-9a-f]{64}$/);

    await card.locator('button.approve').click();
    await card.locator('pre.typed-data').waitFor();
    await card.locator('button.confirm').click();
    const row = page.locator(`#history tr[data-settlement="${id}"]`);
    await expect.poll(() => row.textContent(), { timeout: 90_000 }).toMatch(/exported/);
    await page.screenshot({ path: path.join(SHOTS, 'dev-2-exported.png'), fullPage: true });
    expect(proc.stderr()).toMatch(/development treasurer signed in/);
    expect(errors).toEqual([]);
  });
});
