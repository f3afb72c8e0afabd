/**
 * The policy hook every signature passes: a verifier decides whether this exact message may be
 * signed for this proposal (the settlement verifier: the message must be a sighash the signer
 * derived from a settlement it rebuilt from its own records). Independently of the verifier, the signer binds each
 * proposal id to the first message it signs for it and refuses any other message for it.
 * Every decision is written to the signer's audit log.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ForbiddenError } from '../../shared/errors.ts';
import type { SettlementRef } from './settlement/ref.ts';
import type { CustodyRelease, ReleaseOutcome } from './signer-sql.ts';

export interface PolicyRequest {
  keyId: string;
  proposalId: string;
  message: Uint8Array;
  scheme: 'frost' | 'multisig-p2wsh' | 'multisig-tapscript';
  /** The settlement the message is a sighash of; absent on a raw message (refused by signers). */
  settlement?: SettlementRef;
  /** The sighash type a multi-sig signature is asked for (FROST signs DEFAULT only). */
  sighashType?: number;
}

/** An allowed settlement signature carries what its release binds (signer-sql.ts). */
export type PolicyDecision =
  | { allow: true; custody?: CustodyRelease }
  | { allow: false; reason: string };

/**
 * The decision on the request itself. A `custody signer` has exactly one: the settlement
 * verifier (settlement/verifier.ts); there is no default and no setting that allows more.
 */
export type PolicyVerifier = (req: PolicyRequest) => Promise<PolicyDecision>;

export function messageHash(message: Uint8Array): string {
  return `0x${Buffer.from(sha256(message)).toString('hex')}`;
}

/**
 * The decisions alone, given the proposals' current bindings: the binding first (a proposal
 * already bound to another message or key, or given two messages in one batch, is refused),
 * then the verifier. The caller records them, with what came of them, by policyAuditEvent.
 */
export async function decideAgainstBindings(
  verifier: PolicyVerifier,
  reqs: PolicyRequest[],
  rows: { id: string; messageHash: string; keyId: string }[],
): Promise<PolicyDecision[]> {
  const bound = new Map(rows.map((r) => [r.id, { messageHash: r.messageHash, keyId: r.keyId }]));
  const decisions: PolicyDecision[] = [];
  for (const req of reqs) {
    const hash = messageHash(req.message);
    const b = bound.get(req.proposalId);
    if (b && (b.messageHash !== hash || b.keyId !== req.keyId)) {
      decisions.push({
        allow: false,
        reason: `proposal ${req.proposalId} is bound to another message`,
      });
      continue;
    }
    bound.set(req.proposalId, { messageHash: hash, keyId: req.keyId });
    decisions.push(await verifier(req));
  }
  return decisions;
}

/** Why a request the policy allowed still released nothing. */
const NOT_RELEASED: Record<Exclude<ReleaseOutcome, 'released'>, string> = {
  lost: 'the nonce was used by another request first',
  unbound: 'the proposal was bound to another message first',
  rebound: 'a custody output it spends was bound to another settlement first',
};

/**
 * The audit entry that records a set of decisions and what came of them (one entry for a
 * batch): `released` lists the release outcomes of the allowed requests, in order. `allow` is
 * true only for a request whose signature was released; `outcome` says which of released,
 * refused (by the policy), lost or unbound it came to.
 */
export function policyAuditEvent(
  actor: string,
  reqs: PolicyRequest[],
  decisions: PolicyDecision[],
  released: readonly ReleaseOutcome[],
): { actor: string; action: string; subject: string | null; data: Record<string, unknown> } {
  let next = 0;
  const outcomes = decisions.map((d) => (d.allow ? released[next++] : 'refused'));
  return {
    actor,
    action: 'policy.decide',
    subject: reqs.length === 1 ? (reqs[0]?.proposalId ?? null) : `batch of ${reqs.length}`,
    data: {
      decisions: reqs.map((req, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined) throw new Error('policyAuditEvent: a request has no outcome');
        const reason = whyNotReleased(decisions[i]!, outcome);
        return {
          proposalId: req.proposalId,
          keyId: req.keyId,
          scheme: req.scheme,
          messageHash: messageHash(req.message),
          allow: outcome === 'released',
          outcome,
          ...(reason === undefined ? {} : { reason }),
        };
      }),
    },
  };
}

function whyNotReleased(
  decision: PolicyDecision,
  outcome: ReleaseOutcome | 'refused',
): string | undefined {
  if (!decision.allow) return decision.reason;
  return outcome === 'released' || outcome === 'refused' ? undefined : NOT_RELEASED[outcome];
}

/** The refusal of a second, different message for an already bound proposal. */
export function boundElsewhereError(proposalId: string): ForbiddenError {
  return new ForbiddenError(`policy refused: proposal ${proposalId} is bound to another message`);
}

/** The refusal of a settlement whose custody output another settlement was bound to first. */
export function reboundError(proposalId: string): ForbiddenError {
  return new ForbiddenError(
    `policy refused: proposal ${proposalId} spends a custody output bound to another settlement`,
  );
}
