/**
 * The treasurers' dashboard in a real browser (Debian Chromium, driven by playwright-core),
 * against the real `custody start` on `litecoind -regtest` with two treasurers and a quorum of 2
 * (AUTO_APPROVE=0). A batch with withdrawals goes in over REST; in the page, the first treasurer
 * (the page's development key) and the second (an injected EIP-1193 wallet) each see the
 * settlement with its state root and every withdrawal, read the typed data and approve; the page
 * then shows it broadcast and confirmed. A second settlement gets a forged approval by script
 * (refused, shown nowhere as approved) and a rejection with a reason, shown in the history.
 * Screenshots of each state go to test-results/dashboard/ (not committed).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '../../execution/support/txs.ts';
import { launchChromium, recordErrors } from '../../support/browser.ts';
import {
  type JsonAnswer,
  ROOT,
  restClient,
  type StartedProcess,
  startCustody,
  until,
} from '../../support/custody-start.ts';
import { fundedGenesis } from '../../support/genesis.ts';
import { type Litecoind, startLitecoind } from '../../support/litecoind.ts';
import { type Payout, withdrawalSigner } from '../../support/withdrawals.ts';

const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const BOOTSTRAP = 'dashboard-bootstrap-key-0123456789';
const aliceKey = generatePrivateKey();
const alice = privateKeyToAccount(aliceKey);
const bob = privateKeyToAccount(generatePrivateKey());

let node: Litecoind;
let proc: StartedProcess;
let browser: Browser;
let api: ReturnType<typeof restClient>;
let dir: string;
const rollupKey = newKey();
const sign = withdrawalSigner(rollupKey);
/** Everything the pages said went wrong: the test ends with none. */
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(path.join(tmpdir(), 'custody-dashboard-'));
  node = await startLitecoind();
  proc = await startCustody({
    DATA_DIR: path.join(dir, 'data'),
    PORT: '0',
    BITCOIN_NETWORK: 'litecoin-regtest',
    BITCOIN_RPC_URL: node.rpcUrl,
    GENESIS_FILE: fundedGenesis(dir, rollupKey.address),
    CONFIRMATIONS: '1',
    SETTLE_INTERVAL_MS: '1000',
    BOOTSTRAP_API_KEY: BOOTSTRAP,
    TREASURERS: `${alice.address},${bob.address}`,
    TREASURER_QUORUM: '2',
    AUTO_APPROVE: '0',
  });
  api = restClient(proc.url, BOOTSTRAP);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await proc?.stop();
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const waitFor = <T>(read: () => Promise<T>, done: (v: T) => boolean) =>
  until(read, done, 90_000, 250);

async function payee(): Promise<{ address: string; scriptPubKey: string }> {
  const address = await node.newAddress();
  const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [address], 'test');
  return { address, scriptPubKey: info.scriptPubKey };
}

/** A batch of withdrawals over REST, and the settlement it is waiting for approvals in. */
async function submitWithdrawals(payouts: Payout[]) {
  const txs = sign(payouts);
  const submitted = await api('POST', '/v1/batches', { txs });
  expect(submitted.status).toBe(202);
  const pending = await waitFor(
    () => api('GET', '/v1/approvals'),
    (r) => r.body.items?.some((i: JsonAnswer) => i.status === 'proposed'),
  );
  const batch = await api('GET', `/v1/batches/${submitted.body.id}`);
  return { batch: batch.body, item: pending.body.items[0] };
}

async function openPage(context: BrowserContext, name: string): Promise<Page> {
  const page = recordErrors(await context.newPage(), name, pageErrors);
  await page.goto(proc.url);
  return page;
}

/** A browser whose page keeps the first treasurer's key as its development key. */
async function developmentKeyContext(key: Hex): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(
    `localStorage.setItem('custody.developmentKey', ${JSON.stringify(key)});`,
  );
  return context;
}

/** A browser with an injected EIP-1193 wallet holding the second treasurer's key. */
async function injectedWalletContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.exposeFunction('__walletRequest', async (method: string, params: unknown[]) => {
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [bob.address];
    if (method === 'personal_sign') return bob.signMessage({ message: { raw: params[0] as Hex } });
    if (method === 'eth_signTypedData_v4') {
      return bob.signTypedData(JSON.parse(params[1] as string));
    }
    throw new Error(`wallet: unsupported method ${method}`);
  });
  // The page sees an EIP-1193 provider; each request is answered by the wallet above.
  await context.addInitScript(`window.ethereum = {
    request: ({ method, params }) => window.__walletRequest(method, params ?? []),
  };`);
  return context;
}

async function approveInPage(page: Page, settlementId: string): Promise<void> {
  const card = page.locator(`#pending article[data-settlement="${settlementId}"]`);
  await card.locator('button.approve').click();
  // The typed data is shown before anything is signed.
  await expect.poll(() => card.locator('pre.typed-data').textContent()).toContain(settlementId);
  await page.screenshot({ path: path.join(SHOTS, `review-${settlementId}.png`), fullPage: true });
  await card.locator('button.confirm').click();
}

const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().textContent()) ?? '';

describe('the treasurers dashboard', () => {
  it('two treasurers approve in the page; the settlement is broadcast and confirmed', {
    timeout: 300_000,
  }, async () => {
    const custody = await waitFor(
      () => api('GET', '/v1/custody'),
      (r) => r.status === 200,
    );
    await node.fund(custody.body.address, 5_000_000n);
    const p1 = await payee();
    const p2 = await payee();
    const { batch, item } = await submitWithdrawals([
      { scriptPubKey: p1.scriptPubKey, sats: 40_000n },
      { scriptPubKey: p2.scriptPubKey, sats: 25_000n },
    ]);
    const id = item.settlementId as string;

    const first = await openPage(await developmentKeyContext(aliceKey), 'alice');
    await first.locator('button.sign-in-dev').click();
    const card = first.locator(`#pending article[data-settlement="${id}"]`);
    await card.waitFor();
    await expect.poll(() => card.textContent()).toContain(batch.stateRoot);
    const shown = await card.textContent();
    for (const p of [p1, p2]) expect(shown).toContain(p.address);
    expect(shown).toContain('0.00040000 LTC (40,000 sats)');
    expect(shown).toContain('0.00025000 LTC (25,000 sats)');
    expect(shown).toMatch(/\d+ sat\/vB/);
    expect(await card.locator('tr.withdrawal').count()).toBe(2);
    expect(await text(first, '.dev-key')).toContain(alice.address);
    await first.screenshot({ path: path.join(SHOTS, '1-pending.png'), fullPage: true });

    await approveInPage(first, id);
    await expect
      .poll(() => card.locator('[data-testid=progress]').textContent(), { timeout: 30_000 })
      .toMatch(/1 of 2 treasurer approvals/);
    expect(await card.textContent()).toContain(`${bob.address} has not decided`);
    await first.screenshot({ path: path.join(SHOTS, '2-one-of-two.png'), fullPage: true });

    const second = await openPage(await injectedWalletContext(), 'bob');
    await second.locator('button.sign-in-wallet').click();
    await second.locator(`#pending article[data-settlement="${id}"]`).waitFor();
    await approveInPage(second, id);

    const row = second.locator(`#history tr[data-settlement="${id}"]`);
    await expect.poll(() => row.textContent(), { timeout: 90_000 }).toMatch(/broadcast|confirmed/);
    await second.screenshot({ path: path.join(SHOTS, '3-broadcast.png'), fullPage: true });
    await node.mine(1);
    await expect.poll(() => row.textContent(), { timeout: 60_000 }).toMatch(/confirmed/);
    const settled = await api('GET', `/v1/settlements/${id}`);
    expect(settled.body.status).toBe('confirmed');
    // The latency chart's points: submitted, then broadcast, then confirmed.
    const at = (iso: string) => Date.parse(iso);
    expect(at(settled.body.broadcastAt)).toBeGreaterThanOrEqual(at(batch.createdAt));
    expect(at(settled.body.confirmedAt)).toBeGreaterThanOrEqual(at(settled.body.broadcastAt));
    // The history links the transaction as raw hex and decoded.
    const tx = second.locator(`#history tr[data-settlement-tx="${id}"]`);
    await tx.locator('details.tx summary').click();
    expect(await tx.locator('pre.raw-tx').textContent()).toBe(settled.body.rawTx);
    // Decoded from those bytes: the change, the commitment, then each withdrawal.
    const outputs = tx.locator('table.decoded-outputs tbody tr');
    await expect.poll(() => outputs.count(), { timeout: 10_000 }).toBe(4);
    expect(await outputs.nth(1).textContent()).toContain('nulldata');
    expect(await outputs.nth(2).textContent()).toContain(p1.address);
    expect(await outputs.nth(2).textContent()).toContain('40,000 sats');
    expect(await tx.locator('dl.decoded').textContent()).toContain(settled.body.txid);
    // Each signer's own report: the ones that signed verified it from their records.
    expect(await tx.textContent()).toMatch(
      /verified the settlement from its own records and signed/,
    );
    await second.screenshot({ path: path.join(SHOTS, '4-confirmed.png'), fullPage: true });

    // A phone's width: nothing wider than the screen.
    await second.setViewportSize({ width: 390, height: 844 });
    await second.waitForTimeout(300);
    const overflow = await second.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(1);
    await second.screenshot({ path: path.join(SHOTS, '5-phone.png'), fullPage: true });

    // A forged approval, posted by a script: alice's key over other payouts.
    const { item: next } = await submitWithdrawals([
      { scriptPubKey: p1.scriptPubKey, sats: 15_000n },
    ]);
    const tampered = structuredClone(next.typedData.approve);
    tampered.message.payouts[0].valueSats = '1500000';
    const forged = await api('POST', `/v1/settlements/${next.settlementId}/approvals`, {
      decision: 'approve',
      address: alice.address,
      signature: await alice.signTypedData(tampered),
    });
    expect(forged.status).toBe(400);
    expect(forged.body.detail).toMatch(/is not 0x[0-9a-fA-F]{40}'s signature/);
    const card2 = first.locator(`#pending article[data-settlement="${next.settlementId}"]`);
    await card2.waitFor({ timeout: 30_000 });
    expect(await card2.locator('[data-testid=progress]').textContent()).toMatch(/0 of 2/);
    expect(await card2.locator('li.approved').count()).toBe(0);
    const tally = await api('GET', `/v1/settlements/${next.settlementId}/approvals`);
    expect(tally.body.approvals).toEqual([]);
    expect(tally.body.tally.approvedBy.treasurers).toEqual([]);
    const card2b = second.locator(`#pending article[data-settlement="${next.settlementId}"]`);
    await card2b.waitFor({ timeout: 30_000 });
    expect(await card2b.locator('li.approved').count()).toBe(0);
    // Each signer's own rollup, as the signer itself answers, against this batch.
    const rollups = card2.locator('ul.signer-rollups li');
    await expect.poll(() => rollups.count(), { timeout: 10_000 }).toBe(3);
    for (const li of await rollups.all()) {
      // Each signer holds batch #1 or #2 with the coordinator's own state root, none another.
      expect(await li.textContent()).toMatch(
        /has not verified batch #2 yet \(its own rollup is at #1\)|verified batch #2 in its own rollup: the same state root/,
      );
    }

    // The first treasurer rejects it, with a reason; the history shows it.
    await card2.locator('button.reject').click();
    await card2.locator('textarea.reason').fill('payee not on the allow list');
    await card2.locator('button.confirm').click();
    const row2 = first.locator(`#history tr[data-settlement="${next.settlementId}"]`);
    await expect.poll(() => row2.textContent(), { timeout: 60_000 }).toMatch(/failed/);
    expect(await row2.textContent()).toContain('payee not on the allow list');
    await first.screenshot({ path: path.join(SHOTS, '6-rejected.png'), fullPage: true });

    expect(pageErrors).toEqual([]);
  });
});
