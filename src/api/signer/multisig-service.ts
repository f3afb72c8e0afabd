/** Multi-sig keys on the signer: generate one (only the public key leaves) and sign sighashes. */
import { generateMultisigKey } from '../../custody/multisig/keys.ts';
import { signP2wshPartial, signTapscriptPartial } from '../../custody/multisig/partial-sign.ts';
import { ConflictError } from '../../shared/errors.ts';
import type { SignerContext } from './context.ts';
import { bindProposal, checkPolicy } from './policy.ts';
import { loadMultisigKey, storeMultisigKey } from './vault.ts';

export async function createMultisigKey(
  ctx: SignerContext,
  keyId: string,
): Promise<{ publicKey: string }> {
  const existing = await ctx.db.signerKey.findUnique({ where: { id: keyId } });
  if (existing) {
    if (existing.scheme !== 'multisig')
      throw new ConflictError(`key id ${keyId} is taken by another scheme`);
    return { publicKey: existing.publicKey };
  }
  const key = generateMultisigKey();
  await storeMultisigKey(ctx.db, ctx.kek, keyId, key);
  key.secretKey.fill(0);
  return { publicKey: key.publicKey };
}

export interface MultisigSignRequest {
  keyId: string;
  proposalId: string;
  scriptType: 'p2wsh' | 'tapscript';
  sighash: Uint8Array;
  sighashType?: number;
}

export async function signMultisig(
  ctx: SignerContext,
  req: MultisigSignRequest,
): Promise<{ signature: string; publicKey: string }> {
  const scheme = req.scriptType === 'p2wsh' ? 'multisig-p2wsh' : 'multisig-tapscript';
  await checkPolicy(
    ctx.db,
    ctx.policy,
    { keyId: req.keyId, proposalId: req.proposalId, message: req.sighash, scheme },
    ctx.name,
  );
  const key = await loadMultisigKey(ctx.db, ctx.kek, req.keyId);
  try {
    const opts = {
      secretKey: key.secretKey,
      sighash: req.sighash,
      ...(req.sighashType === undefined ? {} : { sighashType: req.sighashType }),
    };
    const signature =
      req.scriptType === 'p2wsh' ? signP2wshPartial(opts) : signTapscriptPartial(opts);
    // The binding commits before the signature leaves.
    await ctx.db.$transaction(async (tx) => bindProposal(tx, { ...req, message: req.sighash }));
    return { signature, publicKey: key.publicKey };
  } finally {
    key.secretKey.fill(0);
  }
}
