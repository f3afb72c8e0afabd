/**
 * The policy hook every signature passes: a verifier decides whether this exact message may be
 * signed for this proposal (the settlement verifier, which re-executes the batch and checks the
 * transaction, plugs in here later). Independently of the verifier, the signer binds each
 * proposal id to the first message it signs for it and refuses any other message for it.
 * Every decision is written to the signer's audit log.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ForbiddenError } from '../../shared/errors.ts';
import { appendAudit } from '../../store/audit-log.ts';
import type { Db } from '../../store/store.ts';

export interface PolicyRequest {
  keyId: string;
  proposalId: string;
  message: Uint8Array;
  scheme: 'frost' | 'multisig-p2wsh' | 'multisig-tapscript';
}

export type PolicyDecision = { allow: true } | { allow: false; reason: string };

/** The pluggable part; the default allows everything the binding allows. */
export type PolicyVerifier = (req: PolicyRequest) => Promise<PolicyDecision>;

export const allowAll: PolicyVerifier = async () => ({ allow: true });

export function messageHash(message: Uint8Array): string {
  return `0x${Buffer.from(sha256(message)).toString('hex')}`;
}

/**
 * Checks the binding and the verifier, and records the decision. The binding row itself is
 * written by the caller in the same transaction that releases the signature (so a crash can
 * never leave a released signature without its binding).
 */
export async function checkPolicy(
  db: Db,
  verifier: PolicyVerifier,
  req: PolicyRequest,
  actor: string,
): Promise<void> {
  const hash = messageHash(req.message);
  const bound = await db.signerProposal.findUnique({ where: { id: req.proposalId } });
  let decision: PolicyDecision;
  if (bound && bound.messageHash !== hash) {
    decision = { allow: false, reason: `proposal ${req.proposalId} is bound to another message` };
  } else if (bound && bound.keyId !== req.keyId) {
    decision = { allow: false, reason: `proposal ${req.proposalId} is bound to another key` };
  } else {
    decision = await verifier(req);
  }
  await appendAudit(db, {
    actor,
    action: decision.allow ? 'policy.allow' : 'policy.refuse',
    subject: req.proposalId,
    data: {
      keyId: req.keyId,
      scheme: req.scheme,
      messageHash: hash,
      ...(decision.allow ? {} : { reason: decision.reason }),
    },
  });
  if (!decision.allow) throw new ForbiddenError(`policy refused: ${decision.reason}`);
}

/** Inside the releasing transaction: bind, or confirm the existing binding is this message. */
export async function bindProposal(
  tx: Pick<Db, 'signerProposal'>,
  req: { proposalId: string; keyId: string; message: Uint8Array },
): Promise<void> {
  const hash = messageHash(req.message);
  const bound = await tx.signerProposal.findUnique({ where: { id: req.proposalId } });
  if (bound) {
    if (bound.messageHash !== hash || bound.keyId !== req.keyId) {
      throw new ForbiddenError(
        `policy refused: proposal ${req.proposalId} is bound to another message`,
      );
    }
    return;
  }
  await tx.signerProposal.create({
    data: { id: req.proposalId, messageHash: hash, keyId: req.keyId },
  });
}
