import { describe, expect, it } from 'vitest';
import {
  HEADER,
  MemoryReplayGuard,
  requestHash,
  signRequest,
  verifyRequest,
} from '../../../src/custody/auth/request.ts';
import { signResponse, verifyResponse } from '../../../src/custody/auth/response.ts';
import { AuthenticationFailedError, ReplayedRequestError } from '../../../src/custody/errors.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { UnauthorizedError } from '../../../src/shared/errors.ts';

const coordinator = generateIdentity();
const signer = generateIdentity();
const otherSigner = generateIdentity();
const body = new TextEncoder().encode('{"sessionId":"s1"}');
const request = { method: 'POST', path: '/v1/frost/sign', body, audience: signer.publicKey };

function verify(
  headers: Record<string, string>,
  overrides: Partial<Parameters<typeof verifyRequest>[0]> = {},
) {
  return verifyRequest({
    ...request,
    headers,
    trustedKeys: [coordinator.publicKey],
    replayGuard: new MemoryReplayGuard(),
    ...overrides,
  });
}

describe('coordinator-signed requests', () => {
  it('a fresh, correctly signed request is accepted', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    const ok = await verify(headers);
    expect(ok.key).toBe(coordinator.publicKey);
  });

  it('the verified request is named by the hash the sender computes for what it sent', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    const { hash } = await verify(headers);
    expect(hash).toBe(requestHash(request, headers));
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    // Another request claiming the same id has another hash.
    const other = { ...request, body: new TextEncoder().encode('{"sessionId":"s2"}') };
    expect(requestHash(other, headers)).not.toBe(hash);
  });

  it('replayed request: the same request id is refused the second time', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    const replayGuard = new MemoryReplayGuard();
    await verify(headers, { replayGuard });
    await expect(verify(headers, { replayGuard })).rejects.toThrow(ReplayedRequestError);
  });

  it('stale request: a timestamp beyond the allowed skew is refused', async () => {
    const headers = signRequest({
      ...request,
      identity: coordinator,
      timestamp: Date.now() - 60_000,
    });
    await expect(verify(headers)).rejects.toThrow(/stale request/);
  });

  it('forged coordinator request: signed by a key the signer does not trust', async () => {
    const forger = generateIdentity();
    const headers = signRequest({ ...request, identity: forger });
    await expect(verify(headers)).rejects.toThrow(UnauthorizedError);
  });

  it('forged coordinator request: the trusted key with someone else signature', async () => {
    const forger = generateIdentity();
    const headers = {
      ...signRequest({ ...request, identity: forger }),
      [HEADER.key]: coordinator.publicKey,
    };
    await expect(verify(headers)).rejects.toThrow(AuthenticationFailedError);
  });

  it('tampered request body is refused', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    await expect(
      verify(headers, { body: new TextEncoder().encode('{"sessionId":"s2"}') }),
    ).rejects.toThrow(AuthenticationFailedError);
  });

  it('request redirected to another signer is refused (audience bound)', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    await expect(verify(headers, { audience: otherSigner.publicKey })).rejects.toThrow(
      AuthenticationFailedError,
    );
  });

  it('request replayed on another path or method is refused', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    await expect(verify(headers, { path: '/v1/frost/commit' })).rejects.toThrow(
      AuthenticationFailedError,
    );
    await expect(verify(headers, { method: 'PUT' })).rejects.toThrow(AuthenticationFailedError);
  });

  it('an invalid signature does not burn the request id', async () => {
    const headers = signRequest({ ...request, identity: coordinator });
    const replayGuard = new MemoryReplayGuard();
    await expect(
      verify({ ...headers, [HEADER.signature]: `0x${'00'.repeat(64)}` }, { replayGuard }),
    ).rejects.toThrow();
    await expect(verify(headers, { replayGuard })).resolves.toBeDefined();
  });
});

describe('signer-signed responses', () => {
  const response = {
    requestHash: `0x${'ab'.repeat(32)}`,
    status: 200,
    body: new TextEncoder().encode('{"share":"0x01"}'),
  };

  it('verify under the signer key', () => {
    expect(() =>
      verifyResponse(signer.publicKey, response, signResponse(signer, response)),
    ).not.toThrow();
  });

  it('tampered response body is refused', () => {
    const sig = signResponse(signer, response);
    const tampered = { ...response, body: new TextEncoder().encode('{"share":"0x02"}') };
    expect(() => verifyResponse(signer.publicKey, tampered, sig)).toThrow(
      AuthenticationFailedError,
    );
  });

  it('tampered response status is refused', () => {
    const sig = signResponse(signer, response);
    expect(() => verifyResponse(signer.publicKey, { ...response, status: 409 }, sig)).toThrow(
      AuthenticationFailedError,
    );
  });

  it('response replayed for another request is refused (bound to the request hash)', () => {
    const sig = signResponse(signer, response);
    expect(() =>
      verifyResponse(signer.publicKey, { ...response, requestHash: `0x${'cd'.repeat(32)}` }, sig),
    ).toThrow(AuthenticationFailedError);
  });

  it('an unsigned answer is refused, naming its status', () => {
    expect(() => verifyResponse(signer.publicKey, { ...response, status: 401 }, null)).toThrow(
      /unsigned answer \(status 401\)/,
    );
  });

  it('response from an impersonated signer is refused', () => {
    const sig = signResponse(otherSigner, response);
    expect(() => verifyResponse(signer.publicKey, response, sig)).toThrow(
      AuthenticationFailedError,
    );
    expect(() => verifyResponse(signer.publicKey, response, undefined)).toThrow(
      AuthenticationFailedError,
    );
  });
});
