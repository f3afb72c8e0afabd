/**
 * Sign-In with Ethereum for the dashboard (EIP-4361): a treasurer's wallet signs a message
 * naming this coordinator, its chain and a fresh nonce, and gets a session bound to its
 * address. Each refusal is named after the attack it blocks.
 */
import { request } from 'node:http';
import type { PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWithLocalSigners } from '../../../../src/api/coordinator/local-signer-records.ts';
import { SIWE_STATEMENT } from '../../../../src/api/coordinator/rest/siwe.ts';
import { custodyTypeOf, registerOutput } from '../../../../src/api/coordinator/settlement/open.ts';
import { createLogger } from '../../../../src/shared/logger.ts';
import type { JsonAnswer } from '../../../support/custody-start.ts';
import { type Started, startRest, until } from './support.ts';

const alice = privateKeyToAccount(generatePrivateKey());
const bob = privateKeyToAccount(generatePrivateKey());
const mallory = privateKeyToAccount(generatePrivateKey());
let s: Started;
let host: string;
beforeAll(async () => {
  s = await startRest({ TREASURERS: `${alice.address},${bob.address}`, TREASURER_QUORUM: '2' });
  host = new URL(s.running.url).host;
}, 120_000);
afterAll(async () => {
  await s?.close();
});

/** A request with headers fetch will not set (Host), over node:http. */
function raw(
  method: string,
  route: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: JsonAnswer }> {
  const url = new URL(route, s.running.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function nonce(): Promise<string> {
  const r = await s.call('POST', '/auth/siwe/nonce', { token: null, body: {} });
  expect(r.status).toBe(201);
  return r.body.nonce;
}

function message(
  account: PrivateKeyAccount,
  n: string,
  over: Partial<Parameters<typeof createSiweMessage>[0]> = {},
): string {
  return createSiweMessage({
    domain: host,
    address: account.address,
    statement: SIWE_STATEMENT,
    uri: `http://${host}/`,
    version: '1',
    chainId: 4242,
    nonce: n,
    issuedAt: new Date(),
    expirationTime: new Date(Date.now() + 3600_000),
    ...over,
  });
}

async function signIn(account: PrivateKeyAccount, text: string, signer = account) {
  return s.call('POST', '/auth/siwe', {
    token: null,
    body: { message: text, signature: await signer.signMessage({ message: text }) },
  });
}

describe('Sign-In with Ethereum', () => {
  it('gives a treasurer a session bound to its address, which sign-out ends', async () => {
    const r = await signIn(alice, message(alice, await nonce()));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      address: alice.address.toLowerCase(),
      development: false,
      treasurerQuorum: 2,
      treasurers: [alice.address.toLowerCase(), bob.address.toLowerCase()],
    });
    const token = r.body.token as string;
    expect((await s.call('GET', '/v1/session', { token })).body.address).toBe(
      alice.address.toLowerCase(),
    );
    expect((await s.call('GET', '/v1/approvals', { token })).status).toBe(200);
    // A treasurer's session is not a sequencer's key, nor an admin's.
    expect((await s.call('POST', '/v1/batches', { token, body: { txs: ['0x00'] } })).status).toBe(
      403,
    );
    expect((await s.call('GET', '/v1/api-keys', { token })).status).toBe(403);
    expect((await s.call('DELETE', '/v1/session', { token })).status).toBe(204);
    expect((await s.call('GET', '/v1/session', { token })).status).toBe(401);
  });

  it('refuses a replayed sign-in (the nonce is used once)', async () => {
    const text = message(alice, await nonce());
    expect((await signIn(alice, text)).status).toBe(201);
    const again = await signIn(alice, text);
    expect(again.status).toBe(401);
    expect(again.body.detail).toMatch(/nonce: unknown, already used or expired/);
  });

  it('refuses a nonce the coordinator never gave', async () => {
    const r = await signIn(alice, message(alice, 'a1b2c3d4e5f60718293a4b5c6d7e8f90'));
    expect(r.status).toBe(401);
    expect(r.body.detail).toMatch(/nonce: unknown, already used or expired/);
  });

  it('refuses a message signed for another site (phishing relay)', async () => {
    const r = await signIn(alice, message(alice, await nonce(), { domain: 'evil.example' }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^message\.domain: expected 127\.0\.0\.1:\d+/);
  });

  it('refuses a sign-in sent to this server under another name (DNS rebinding, a relay)', async () => {
    const n = await nonce();
    const evil = 'evil.example';
    const text = message(alice, n, { domain: evil, uri: `http://${evil}/` });
    const body = JSON.stringify({
      message: text,
      signature: await alice.signMessage({ message: text }),
    });
    const r = await raw('POST', '/auth/siwe', body, { host: evil });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/^Host: sign-in is answered only at http:\/\/127\.0\.0\.1:/);
    const asNonce = await raw('POST', '/auth/siwe/nonce', '{}', { host: evil });
    expect(asNonce.status).toBe(403);
    // The nonce was not spent by the refused request.
    expect((await signIn(alice, message(alice, n))).status).toBe(201);
  });

  it('refuses a sign-in posted by a page of another origin', async () => {
    const text = message(alice, await nonce());
    const body = JSON.stringify({
      message: text,
      signature: await alice.signMessage({ message: text }),
    });
    const r = await raw('POST', '/auth/siwe', body, { origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/^Origin: a sign-in from http:\/\/evil\.example is not accepted/);
  });

  it('refuses a URI of another scheme on this host', async () => {
    const r = await signIn(alice, message(alice, await nonce(), { uri: `https://${host}/` }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^message\.uri: expected a URI at http:\/\/127\.0\.0\.1:/);
  });

  it('refuses dates it cannot read instead of skipping their checks', async () => {
    const n = await nonce();
    const good = message(alice, n);
    const bad = `${good}\nNot Before: tomorrow`;
    const r = await s.call('POST', '/auth/siwe', {
      token: null,
      body: { message: bad, signature: await alice.signMessage({ message: bad }) },
    });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^message\.notBefore: not an RFC 3339 date/);
    const later = message(alice, n, { notBefore: new Date(Date.now() + 3600_000) });
    expect((await signIn(alice, later)).body.detail).toMatch(
      /^message\.notBefore: the message is not valid yet/,
    );
  });

  it('refuses a message with another statement (the wallet showed the signer something else)', async () => {
    const r = await signIn(
      alice,
      message(alice, await nonce(), { statement: 'Claim your airdrop' }),
    );
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^message\.statement/);
  });

  it('refuses an expired nonce', async () => {
    const n = await nonce();
    await s.running.store.db.siweNonce.update({
      where: { nonce: n },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const r = await signIn(alice, message(alice, n));
    expect(r.status).toBe(401);
    expect(r.body.detail).toMatch(/nonce: unknown, already used or expired/);
  });

  it('refuses a URI on another host and another chain id', async () => {
    const n = await nonce();
    expect(
      (await signIn(alice, message(alice, n, { uri: 'https://evil.example/' }))).body.detail,
    ).toMatch(/^message\.uri/);
    expect((await signIn(alice, message(alice, n, { chainId: 1 }))).body.detail).toMatch(
      /^message\.chainId: expected 4242/,
    );
  });

  it('refuses an expired message and one issued in the future', async () => {
    const n = await nonce();
    const expired = await signIn(
      alice,
      message(alice, n, {
        issuedAt: new Date(Date.now() - 7200_000),
        expirationTime: new Date(Date.now() - 3600_000),
      }),
    );
    expect(expired.body.detail).toMatch(/^message\.expirationTime/);
    const future = await signIn(
      alice,
      message(alice, n, {
        issuedAt: new Date(Date.now() + 3600_000),
        expirationTime: new Date(Date.now() + 7200_000),
      }),
    );
    expect(future.body.detail).toMatch(/^message\.issuedAt: in the future/);
  });

  it("refuses a forged signature, without burning the treasurer's nonce", async () => {
    const text = message(alice, await nonce());
    const forged = await signIn(alice, text, mallory);
    expect(forged.status).toBe(401);
    expect(forged.body.detail).toMatch(/signature is not/);
    expect((await signIn(alice, text)).status).toBe(201);
  });

  it('refuses an address that is not a configured treasurer', async () => {
    const r = await signIn(mallory, message(mallory, await nonce()));
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/not a configured treasurer/);
  });

  it('refuses text that is not a sign-in message, as problem+json', async () => {
    const r = await s.call('POST', '/auth/siwe', {
      token: null,
      body: { message: 'hello', signature: `0x${'11'.repeat(65)}` },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const long = await s.call('POST', '/auth/siwe', {
      token: null,
      body: { message: 'x'.repeat(5000), signature: `0x${'11'.repeat(65)}` },
    });
    expect(long.status).toBe(400);
  });

  it("refuses an expired session's token", async () => {
    const r = await signIn(bob, message(bob, await nonce()));
    await s.running.store.db.apiKey.updateMany({
      where: { address: bob.address.toLowerCase() },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const after = await s.call('GET', '/v1/session', { token: r.body.token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/session has expired/);
  });

  it("refuses a session carrying another treasurer's decision", { timeout: 90_000 }, async () => {
    const type = custodyTypeOf(s.running.custody);
    registerOutput(s.config.dataDir, `${'33'.repeat(32)}:0:5000000`, type);
    await registerWithLocalSigners({
      config: s.config,
      custody: s.running.custody,
      log: createLogger({ level: 'silent' }),
    });
    const txs = s.withdrawals([{ scriptPubKey: `0014${'ab'.repeat(20)}`, sats: 50_000n }]);
    expect((await s.call('POST', '/v1/batches', { body: { txs } })).status).toBe(202);
    const pending = await until(
      () => s.call('GET', '/v1/approvals'),
      (r) => r.body.items?.length > 0,
    );
    const item = pending.body.items[0];
    const session = await signIn(alice, message(alice, await nonce()));
    const post = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      token: session.body.token,
      body: {
        decision: 'approve',
        address: bob.address,
        signature: await bob.signTypedData(item.typedData.approve),
      },
    });
    expect(post.status).toBe(403);
    expect(post.body.detail).toMatch(/this session is 0x[0-9a-f]{40}'s/);
    const own = await s.call('POST', `/v1/settlements/${item.settlementId}/approvals`, {
      token: session.body.token,
      body: {
        decision: 'approve',
        address: alice.address,
        signature: await alice.signTypedData(item.typedData.approve),
      },
    });
    expect(own.status).toBe(201);
    expect(own.body.tally.approvedBy.treasurers).toEqual([alice.address.toLowerCase()]);
  });

  it('serves the dashboard at / without a key, under a strict content security policy', async () => {
    const r = await s.call('GET', '/', { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|;)\s*script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|;)\s*default-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-|\*/);
    const script = /src="(\/assets\/app-[\w-]+\.js)"/.exec(r.body as string)?.[1];
    expect(script).toBeDefined();
    expect((await s.call('GET', script!, { token: null })).status).toBe(200);
  });
});
