/** Multi-sig keys on the signer: generate one (only the public key leaves) and sign sighashes. */
import { generateMultisigKey } from '../../custody/multisig/keys.ts';
import { signP2wshPartial, signTapscriptPartial } from '../../custody/multisig/partial-sign.ts';
import { ConflictError, ForbiddenError } from '../../shared/errors.ts';
import type { RequestRecord } from './auth.ts';
import { type SignerContext, signerSqlOf } from './context.ts';
import {
  boundElsewhereError,
  decideAgainstBindings,
  messageHash,
  type PolicyRequest,
  policyAuditEvent,
  reboundError,
} from './policy.ts';
import type { SettlementRef } from './settlement/ref.ts';
import type { ReleaseOutcome } from './signer-sql.ts';
import { openMultisigKey, storeMultisigKey } from './vault.ts';

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
  /** The settlement `sighash` is of (the policy derives it from this). */
  settlement?: SettlementRef;
}

/**
 * The policy decides first (binding, then verifier); the signature is made; then one durable
 * transaction records the request id, the decision in the audit log and the proposal binding,
 * and only after it commits does the signature leave (a crash before leaves no trace). A
 * refusal is recorded the same way, without a binding, before it is answered.
 */
export async function signMultisig(
  ctx: SignerContext,
  req: MultisigSignRequest,
  record?: RequestRecord,
): Promise<{ signature: string; publicKey: string }> {
  const sql = signerSqlOf(ctx);
  const scheme = req.scriptType === 'p2wsh' ? 'multisig-p2wsh' : 'multisig-tapscript';
  const policyReq: PolicyRequest = {
    keyId: req.keyId,
    proposalId: req.proposalId,
    message: req.sighash,
    scheme,
    ...(req.settlement ? { settlement: req.settlement } : {}),
    ...(req.sighashType === undefined ? {} : { sighashType: req.sighashType }),
  };
  const { proposals } = await sql.readNoncesAndProposals([], [req.proposalId]);
  const decisions = await decideAgainstBindings(ctx.policy, [policyReq], proposals);
  const decision = decisions[0]!;
  const audit = (released: ReleaseOutcome[]) =>
    policyAuditEvent(ctx.name, [policyReq], decisions, released);
  if (!decision.allow) {
    await sql.release({ record: record?.pending, audit, items: [] });
    record?.committed();
    throw new ForbiddenError(`policy refused: ${decision.reason}`);
  }
  const key = openMultisigKey(ctx.kek, req.keyId, await sql.readKey(req.keyId));
  try {
    const opts = {
      secretKey: key.secretKey,
      sighash: req.sighash,
      ...(req.sighashType === undefined ? {} : { sighashType: req.sighashType }),
    };
    const signature =
      req.scriptType === 'p2wsh' ? signP2wshPartial(opts) : signTapscriptPartial(opts);
    const [outcome] = await sql.release({
      record: record?.pending,
      audit,
      items: [
        {
          proposalId: req.proposalId,
          keyId: req.keyId,
          messageHash: messageHash(req.sighash),
          ...(decision.custody ? { custody: decision.custody } : {}),
        },
      ],
    });
    record?.committed();
    // Bound elsewhere between our read and our write: refused, the signature dropped.
    if (outcome === 'rebound') throw reboundError(req.proposalId);
    if (outcome !== 'released') throw boundElsewhereError(req.proposalId);
    return { signature, publicKey: key.publicKey };
  } finally {
    key.secretKey.fill(0);
  }
}
