/**
 * Coordinator-side protocol drivers over signer clients: relay a DKG, run one FROST signing
 * round (used by the signing benchmark). The persisted coordinator session with retries,
 * time-outs and culprit records is src/api/coordinator/signing/frost-session.ts; the
 * coordinator only relays and checks, it never holds a secret.
 */
import { runAggregate } from '../../custody/frost/aggregate.ts';
import type { KeyCeremony } from '../../custody/frost/ceremony.ts';
import {
  type DkgEcho,
  type DkgRound1Package,
  type DkgShareEnvelope,
  parseDkgConfirmation,
  runDkgConfirm,
} from '../../custody/frost/keygen-dkg.ts';
import {
  parseGroupKey,
  parseNonceCommitment,
  parseSignatureShare,
  type WireGroupKey,
} from '../../custody/frost/wire.ts';
import type { SignerClient } from './client.ts';

export interface Member {
  client: SignerClient;
  identifier: string;
}

export async function relayDkg(
  members: Member[],
  ceremony: KeyCeremony,
): Promise<{ groupKey: WireGroupKey; outputKey: string }> {
  const { ceremonyId } = ceremony;
  const r1 = await Promise.all(
    members.map((m) =>
      m.client.post<{ package: DkgRound1Package }>('/v1/dkg/round1', { ceremony }),
    ),
  );
  const packages = r1.map((r) => r.package);
  const echoes = (
    await Promise.all(
      members.map((m) =>
        m.client.post<{ echo: DkgEcho }>('/v1/dkg/echo', { ceremonyId, packages }),
      ),
    )
  ).map((r) => r.echo);
  const envelopes = (
    await Promise.all(
      members.map((m) =>
        m.client.post<{ envelopes: DkgShareEnvelope[] }>('/v1/dkg/round2', { ceremonyId, echoes }),
      ),
    )
  ).flatMap((r) => r.envelopes);
  const r3 = await Promise.all(
    members.map((m) =>
      m.client.post<{ groupKey: unknown; confirmation: unknown }>('/v1/dkg/round3', {
        ceremonyId,
        received: envelopes.filter((e) => e.to === m.identifier),
      }),
    ),
  );
  const groupKey = parseGroupKey(r3[0]?.groupKey);
  return runDkgConfirm({
    ceremony,
    groupKey,
    confirmations: r3.map((r, i) => parseDkgConfirmation(r.confirmation, `confirmations[${i}]`)),
  });
}

export interface NonceRef {
  nonceId: string;
  commitment: ReturnType<typeof parseNonceCommitment>;
}

export async function requestCommitments(
  member: Member,
  keyId: string,
  count: number,
): Promise<NonceRef[]> {
  const { items } = await member.client.post<{ items: unknown[] }>('/v1/frost/commitments', {
    keyId,
    count,
  });
  return items.map((raw, i) => {
    const o = raw as { nonceId: string; commitment: unknown };
    const commitment = parseNonceCommitment(o.commitment, `items[${i}].commitment`);
    if (commitment.identifier !== member.identifier)
      throw new Error('signer answered with another identifier');
    return { nonceId: o.nonceId, commitment };
  });
}

export interface FrostRoundOpts {
  members: Member[];
  keyId: string;
  groupKey: WireGroupKey;
  message: Uint8Array;
  sessionId: string;
  proposalId: string;
  /** Preprocessed nonces, one per member in order; fetched (one round trip) when absent. */
  nonces?: NonceRef[];
}

export async function frostRound(opts: FrostRoundOpts): Promise<{ signature: string }> {
  const nonces =
    opts.nonces ??
    (await Promise.all(
      opts.members.map(async (m) => (await blame(m, requestCommitments(m, opts.keyId, 1)))[0]!),
    ));
  const commitments = nonces.map((n) => n.commitment);
  const message = `0x${Buffer.from(opts.message).toString('hex')}`;
  const shares = await Promise.all(
    opts.members.map(async (m, i) => {
      const r = await blame(
        m,
        m.client.post<{ signatureShare: unknown }>('/v1/frost/sign', {
          keyId: opts.keyId,
          nonceId: nonces[i]!.nonceId,
          sessionId: opts.sessionId,
          proposalId: opts.proposalId,
          message,
          commitments,
        }),
      );
      return parseSignatureShare(r.signatureShare);
    }),
  );
  return runAggregate({ groupKey: opts.groupKey, commitments, message: opts.message, shares });
}

export interface BatchItem {
  message: Uint8Array;
  sessionId: string;
  proposalId: string;
}

export interface FrostBatchOpts {
  members: Member[];
  keyId: string;
  groupKey: WireGroupKey;
  items: BatchItem[];
  /** nonces[m][k]: member m's preprocessed nonce for item k. */
  nonces: NonceRef[][];
}

/**
 * Many messages in one session: one sign-batch request per signer (in parallel), then one
 * aggregation per message. A refused item fails the whole call with that signer's problem.
 */
export async function frostRoundBatch(opts: FrostBatchOpts): Promise<{ signatures: string[] }> {
  const lists = opts.items.map((_, k) => opts.nonces.map((n) => n[k]!.commitment));
  const perMember = await Promise.all(
    opts.members.map(async (m, mi) => {
      const { results } = await m.client.post<{
        results: { signatureShare?: unknown; error?: { detail?: string } }[];
      }>('/v1/frost/sign-batch', {
        keyId: opts.keyId,
        items: opts.items.map((item, k) => ({
          nonceId: opts.nonces[mi]![k]!.nonceId,
          sessionId: item.sessionId,
          proposalId: item.proposalId,
          message: `0x${Buffer.from(item.message).toString('hex')}`,
          commitments: lists[k],
        })),
      });
      return results.map((r, k) => {
        if (r.error || r.signatureShare === undefined) {
          throw new Error(
            `signer ${m.identifier} refused item ${k}: ${r.error?.detail ?? 'no share'}`,
          );
        }
        return parseSignatureShare(r.signatureShare, `results[${k}].signatureShare`);
      });
    }),
  );
  const signatures = opts.items.map(
    (item, k) =>
      runAggregate({
        groupKey: opts.groupKey,
        commitments: lists[k]!,
        message: item.message,
        shares: perMember.map((shares) => shares[k]!),
      }).signature,
  );
  return { signatures };
}

/** A signer that failed to answer (unreachable, timed out, refused) in a signing attempt. */
export class MemberFailedError extends Error {
  readonly identifier: string;
  constructor(identifier: string, cause: unknown) {
    super(`signer ${identifier} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.identifier = identifier;
  }
}

function blame<T>(m: Member, p: Promise<T>): Promise<T> {
  return p.catch((error: unknown) => {
    throw new MemberFailedError(m.identifier, error);
  });
}
