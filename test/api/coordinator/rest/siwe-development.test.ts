/**
 * Sign-In with Ethereum with no TREASURERS configured (development): the page's own generated
 * key is accepted as the one development treasurer, quorum 1.
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIWE_STATEMENT } from '../../../../src/api/coordinator/rest/siwe.ts';
import { type Started, startRest } from './support.ts';

describe('Sign-In with Ethereum in development', () => {
  let dev: Started;
  beforeAll(async () => {
    dev = await startRest();
  }, 120_000);
  afterAll(async () => {
    await dev?.close();
  });

  it("accepts the page's own key as the one development treasurer, quorum 1", async () => {
    const key = privateKeyToAccount(generatePrivateKey());
    const devHost = new URL(dev.running.url).host;
    const n = (await dev.call('POST', '/auth/siwe/nonce', { token: null, body: {} })).body;
    expect(n.development).toBe(true);
    const text = createSiweMessage({
      domain: devHost,
      address: key.address,
      statement: SIWE_STATEMENT,
      uri: dev.running.url,
      version: '1',
      chainId: 4242,
      nonce: n.nonce,
      issuedAt: new Date(),
    });
    const r = await dev.call('POST', '/auth/siwe', {
      token: null,
      body: { message: text, signature: await key.signMessage({ message: text }) },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ development: true, treasurerQuorum: 1 });
    expect(r.body.treasurers).toEqual([key.address.toLowerCase()]);
  });
});
