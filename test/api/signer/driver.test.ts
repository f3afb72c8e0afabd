import { describe, expect, it } from 'vitest';
import type { SignerClient } from '../../../src/api/signer/client.ts';
import { frostRoundBatch, type NonceRef } from '../../../src/api/signer/driver.ts';
import type { WireGroupKey } from '../../../src/custody/frost/wire.ts';

/** A signer that answers every sign-batch chunk with one result too few. */
function truncatingSigner(identifier: string) {
  const requests: number[] = [];
  const client = {
    post: async (_path: string, body: { items: unknown[] }) => {
      requests.push(body.items.length);
      return { results: body.items.slice(1).map(() => ({ signatureShare: {} })) };
    },
  } as unknown as SignerClient;
  return { member: { client, identifier }, requests };
}

describe('frostRoundBatch', () => {
  it('truncated answer: a signer that answers a chunk with fewer results than items fails the call, naming it', async () => {
    const { member, requests } = truncatingSigner('0x01');
    const nonce: NonceRef = {
      nonceId: 'n',
      commitment: { identifier: '0x01', hiding: '0x02', binding: '0x03' },
    };
    const items = Array.from({ length: 25 }, (_, i) => ({
      message: new Uint8Array(32),
      sessionId: `s${i}`,
      proposalId: `p${i}`,
    }));
    await expect(
      frostRoundBatch({
        members: [member],
        keyId: 'k',
        groupKey: {} as WireGroupKey,
        items,
        nonces: [items.map(() => nonce)],
        chunkSize: 10,
      }),
    ).rejects.toThrow(/signer 0x01 answered a chunk of 10 items wrongly/);
    // Two chunks were in flight; the third was never sent after the first failed.
    expect(requests).toEqual([10, 10]);
  });

  it('refuses a chunk size that is not a positive integer', async () => {
    const { member } = truncatingSigner('0x01');
    await expect(
      frostRoundBatch({
        members: [member],
        keyId: 'k',
        groupKey: {} as WireGroupKey,
        items: [],
        nonces: [[]],
        chunkSize: 0,
      }),
    ).rejects.toThrow(/chunkSize/);
  });
});
