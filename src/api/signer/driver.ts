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
  type WireNonceCommitment,
  type WireSignatureShare,
} from '../../custody/frost/wire.ts';
import { bytesToHex } from '../../shared/hex.ts';
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
  const message = bytesToHex(opts.message);
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
  /** Items per sign-batch request (default 10). */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 10;
/** Sign-batch requests a signer may have in flight: the next chunk waits in its queue. */
const REQUESTS_AHEAD = 2;

/**
 * Many messages in one session, pipelined: each signer gets the items in chunks, one sign-batch
 * request per chunk and at most REQUESTS_AHEAD in flight, and the coordinator aggregates a
 * chunk as soon as every signer has answered it, while the signers work on the next ones. One
 * request for everything would make aggregation wait for the last share: the session would
 * take the signers' time plus the coordinator's instead of the longer of the two. A refused
 * item fails the whole call with that signer's problem.
 */
export async function frostRoundBatch(opts: FrostBatchOpts): Promise<{ signatures: string[] }> {
  const lists = opts.items.map((_, k) => opts.nonces.map((n) => n[k]!.commitment));
  const chunks = chunkRanges(opts.items.length, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const perMember = opts.members.map((m, mi) =>
    pipelined(chunks, (chunk) => signChunk(opts, lists, m, mi, chunk)),
  );
  const signatures: string[] = [];
  for (const [c, chunk] of chunks.entries()) {
    const shares = await Promise.all(perMember.map((requests) => requests[c]!));
    for (let k = chunk.start; k < chunk.end; k++) {
      const { signature } = runAggregate({
        groupKey: opts.groupKey,
        commitments: lists[k]!,
        message: opts.items[k]!.message,
        shares: shares.map((s) => s[k - chunk.start]!),
      });
      signatures.push(signature);
    }
  }
  return { signatures };
}

interface ChunkRange {
  start: number;
  end: number;
}

function chunkRanges(length: number, size: number): ChunkRange[] {
  if (!Number.isInteger(size) || size < 1) throw new Error('chunkSize: expected an integer >= 1');
  const out: ChunkRange[] = [];
  for (let start = 0; start < length; start += size) {
    out.push({ start, end: Math.min(length, start + size) });
  }
  return out;
}

/**
 * Starts `send(chunk)` for every chunk, each only once the one REQUESTS_AHEAD places earlier
 * has settled. Every promise is marked handled here: after a failure the caller stops
 * awaiting the later ones, which must not surface as unhandled rejections.
 */
function pipelined<T>(chunks: ChunkRange[], send: (chunk: ChunkRange) => Promise<T>): Promise<T>[] {
  const out: Promise<T>[] = [];
  for (const [c, chunk] of chunks.entries()) {
    const before = out[c - REQUESTS_AHEAD];
    const request = before ? before.then(() => send(chunk)) : send(chunk);
    request.catch(() => {});
    out.push(request);
  }
  return out;
}

async function signChunk(
  opts: FrostBatchOpts,
  lists: WireNonceCommitment[][],
  m: Member,
  mi: number,
  chunk: ChunkRange,
): Promise<WireSignatureShare[]> {
  const items = opts.items.slice(chunk.start, chunk.end);
  const { results } = await m.client.post<{
    results: { signatureShare?: unknown; error?: { detail?: string } }[];
  }>('/v1/frost/sign-batch', {
    keyId: opts.keyId,
    items: items.map((item, i) => ({
      nonceId: opts.nonces[mi]![chunk.start + i]!.nonceId,
      sessionId: item.sessionId,
      proposalId: item.proposalId,
      message: bytesToHex(item.message),
      commitments: lists[chunk.start + i],
    })),
  });
  if (!Array.isArray(results) || results.length !== items.length) {
    throw new Error(`signer ${m.identifier} answered a chunk of ${items.length} items wrongly`);
  }
  return results.map((r, i) => {
    const k = chunk.start + i;
    if (r.error || r.signatureShare === undefined) {
      throw new Error(`signer ${m.identifier} refused item ${k}: ${r.error?.detail ?? 'no share'}`);
    }
    return parseSignatureShare(r.signatureShare, `results[${i}].signatureShare`);
  });
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
