/**
 * FROST signing on the signer, with the nonce rules of invariant 2:
 *  - a nonce pair is stored (sealed) in the database BEFORE its commitment is returned;
 *  - a signature share is released only after the transaction that marks its nonce used (and
 *    erases it, and records the session, message and share, and binds the proposal) commits;
 *  - a repeated request for the same session, message and commitment list gets the recorded
 *    share again; anything else on a used nonce is refused.
 * A crash before that commit means no share left the process, so the nonce is still unused.
 */
import { openJson, sealJson } from '../../custody/at-rest.ts';
import { taggedJsonHash } from '../../custody/canonical.ts';
import { runCommitBatch } from '../../custody/frost/commit.ts';
import { runSign } from '../../custody/frost/sign.ts';
import type {
  WireNonceCommitment,
  WireNonces,
  WireSignatureShare,
} from '../../custody/frost/wire.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import type { SignerContext } from './context.ts';
import { newId } from './context.ts';
import { bindProposal, checkPolicy, messageHash } from './policy.ts';
import { loadFrostKey } from './vault.ts';

export interface CommitmentItem {
  nonceId: string;
  commitment: WireNonceCommitment;
}

export async function createCommitments(
  ctx: SignerContext,
  keyId: string,
  count: number,
): Promise<CommitmentItem[]> {
  const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
  const { items } = runCommitBatch({ share: key.share, count });
  const rows = items.map((item) => {
    const id = newId('n');
    return {
      id,
      keyId,
      commitment: JSON.stringify(item.commitment),
      sealedNonces: sealJson(ctx.kek, `nonce:${id}`, item.nonces),
      status: 'fresh',
    };
  });
  await ctx.db.signerNonce.createMany({ data: rows });
  ctx.crash('commit:after-store');
  return rows.map((r, i) => ({ nonceId: r.id, commitment: items[i]!.commitment }));
}

export interface SignShareRequest {
  keyId: string;
  nonceId: string;
  sessionId: string;
  proposalId: string;
  message: Uint8Array;
  commitments: WireNonceCommitment[];
}

export async function signShare(
  ctx: SignerContext,
  req: SignShareRequest,
): Promise<WireSignatureShare> {
  const row = await ctx.db.signerNonce.findUnique({ where: { id: req.nonceId } });
  if (!row || row.keyId !== req.keyId)
    throw new NotFoundError(`no nonce ${req.nonceId} for key ${req.keyId}`);
  const listHash = commitmentsHash(req.commitments);
  if (row.status === 'used') return replayOrRefuse(row, req, listHash);
  const own = JSON.parse(row.commitment) as WireNonceCommitment;
  const listed = req.commitments.find((c) => c.identifier === own.identifier);
  if (!listed || listed.hiding !== own.hiding || listed.binding !== own.binding) {
    throw new InvalidInputError('commitments: our entry is not the commitment of this nonce', {
      field: 'commitments',
    });
  }
  await checkPolicy(ctx.db, ctx.policy, { ...req, scheme: 'frost' }, ctx.name);
  ctx.crash('sign:after-policy');
  const key = await loadFrostKey(ctx.db, ctx.kek, req.keyId);
  const nonces = openJson<WireNonces>(ctx.kek, `nonce:${row.id}`, row.sealedNonces as string);
  const { signatureShare } = runSign({
    groupKey: key.groupKey,
    share: key.share,
    nonces,
    commitments: req.commitments,
    message: req.message,
  });
  ctx.crash('sign:after-share');
  const released = await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.signerNonce.updateMany({
      where: { id: row.id, status: 'fresh' },
      data: {
        status: 'used',
        sealedNonces: null,
        sessionId: req.sessionId,
        proposalId: req.proposalId,
        messageHash: messageHash(req.message),
        commitmentsHash: listHash,
        share: JSON.stringify(signatureShare),
        usedAt: new Date(),
      },
    });
    if (count === 0) return false;
    await bindProposal(tx, req);
    return true;
  });
  if (!released) {
    // Another request used this nonce between our read and our write: answer as for a replay.
    const now = await ctx.db.signerNonce.findUniqueOrThrow({ where: { id: row.id } });
    return replayOrRefuse(now, req, listHash);
  }
  ctx.crash('sign:after-commit');
  return signatureShare;
}

function replayOrRefuse(
  row: {
    sessionId: string | null;
    messageHash: string | null;
    commitmentsHash: string | null;
    share: string | null;
    id: string;
  },
  req: SignShareRequest,
  listHash: string,
): WireSignatureShare {
  const same =
    row.sessionId === req.sessionId &&
    row.messageHash === messageHash(req.message) &&
    row.commitmentsHash === listHash;
  if (!same || row.share === null) {
    throw new ConflictError(
      `nonce ${row.id} was already used for another signing session or message`,
      {
        nonceId: row.id,
      },
    );
  }
  return JSON.parse(row.share) as WireSignatureShare;
}

function commitmentsHash(list: WireNonceCommitment[]): string {
  const sorted = [...list]
    .sort((a, b) => (a.identifier < b.identifier ? -1 : 1))
    .map((c) => ({ ...c }));
  return `0x${Buffer.from(taggedJsonHash('commitment-list', sorted)).toString('hex')}`;
}
