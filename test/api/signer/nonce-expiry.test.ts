/**
 * Unused committed nonces expire after UNUSED_NONCE_TTL_MS (their sealed secrets are erased
 * and they can no longer sign); used nonces are kept, because their records are what answers a
 * repeated request and refuses a second message.
 */
import { describe, expect, it } from 'vitest';
import {
  createCommitments,
  expireUnusedNonces,
  signShares,
  UNUSED_NONCE_TTL_MS,
} from '../../../src/api/signer/frost-service.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { runCommit } from '../../../src/custody/frost/commit.ts';
import { runFullDkg } from '../../custody/helpers.ts';
import { DATABASE_KINDS, useFreshStore } from '../../support/databases.ts';
import { signerWithKey } from './in-process.ts';

describe.each(DATABASE_KINDS)('nonce expiry on %s', (kind) => {
  const db = useFreshStore(kind);
  const dkg = runFullDkg(2, 3);
  const keyId = 'k-expiry';

  it('erases old unused nonces, keeps fresh ones and every used one', async () => {
    const ctx = await signerWithKey(db.store.db, dkg, keyId);
    const [stale, fresh, used] = await createCommitments(ctx, keyId, 3);
    const other = runCommit({ share: dkg.results[1]!.share }).commitment;
    const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
    const signWith = async (nonce: typeof used, n: number) => {
      const [result] = await signShares(ctx, key, [
        {
          nonceId: nonce!.nonceId,
          sessionId: `session-${n}`,
          proposalId: `proposal-${n}`,
          message: new Uint8Array(32).fill(4 + n),
          commitments: [nonce!.commitment, other].sort((a, b) =>
            a.identifier < b.identifier ? -1 : 1,
          ),
        },
      ]);
      return result;
    };
    const signed = await signWith(used, 1);
    expect(signed).toHaveProperty('signatureShare');

    const old = new Date(Date.now() - UNUSED_NONCE_TTL_MS - 60_000);
    await ctx.db.signerNonce.updateMany({
      where: { id: { in: [stale!.nonceId, used!.nonceId] } },
      data: { createdAt: old },
    });
    expect(await expireUnusedNonces(ctx)).toBe(1);
    const left = await ctx.db.signerNonce.findMany({ where: { keyId } });
    expect(left.map((n) => n.id).sort()).toEqual([fresh!.nonceId, used!.nonceId].sort());

    const refused = await signWith(stale, 2);
    expect(refused).toMatchObject({ error: { status: 404 } });
  });
});
