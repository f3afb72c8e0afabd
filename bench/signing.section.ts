/**
 * Signing latency with signers as separate processes on loopback (`npm run bench -- --json
 * --only signing`): one message at a time, p50/p99 over SAMPLES signatures, for FROST 2-of-3,
 * 3-of-5, 3-of-5 with preprocessed nonces, multi-sig 2-of-3 (P2WSH ECDSA partials, verified),
 * and 100 messages in one session (preprocessed nonces, sign-batch requests of 10 items
 * pipelined with the aggregation: frostRoundBatch). The floors are one in-process
 * `schnorr.sign` and, for FROST, the noble calls on a round's critical path in process
 * (frostCriticalPath): no FROST p50 can go below that on the same machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { runFrostSession } from '../src/api/coordinator/signing/frost-session.ts';
import { HttpFrostSigner } from '../src/api/coordinator/signing/http-clients.ts';
import {
  frostRound,
  frostRoundBatch,
  type NonceRef,
  relayDkg,
  requestCommitments,
} from '../src/api/signer/driver.ts';
import { runAggregate } from '../src/custody/frost/aggregate.ts';
import { parseCeremony } from '../src/custody/frost/ceremony.ts';
import { runCommit } from '../src/custody/frost/commit.ts';
import { runSign } from '../src/custody/frost/sign.ts';
import { fromNoblePublic, fromNobleSecret, type WireGroupKey } from '../src/custody/frost/wire.ts';
import { generateIdentity } from '../src/custody/identity.ts';
import { verifyP2wshPartial } from '../src/custody/multisig/partial-sign.ts';
import { bytesToHex } from '../src/shared/hex.ts';
import { openStore } from '../src/store/store.ts';
import { type BenchSigner, startBenchSigner, stopBenchSigners } from './signing-processes.ts';
import { summarize } from './signing-protocol-stats.ts';

const SAMPLES = Number(process.env.BENCH_SIGNING_SAMPLES ?? 200);

async function dkg(signers: BenchSigner[], keyId: string, min: number): Promise<WireGroupKey> {
  const ceremony = parseCeremony({
    ceremonyId: keyId,
    suite: 'secp256k1-tr',
    threshold: { min, max: signers.length },
    participants: signers.map((s) => ({ identifier: s.identifier, identityKey: s.identityKey })),
  });
  return (await relayDkg(signers, ceremony)).groupKey;
}

async function timed(n: number, fn: (i: number) => Promise<void>) {
  for (let i = 0; i < 5; i++) await fn(-1 - i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  const { p50Ms, p99Ms } = summarize(samples);
  return { p50Ms, p99Ms };
}

function frost(
  members: BenchSigner[],
  keyId: string,
  groupKey: WireGroupKey,
  nonces?: (i: number) => NonceRef[],
) {
  return async (i: number) => {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const id = `${keyId}-${i}-${crypto.randomUUID()}`;
    await frostRound({
      members,
      keyId,
      groupKey,
      message,
      sessionId: id,
      proposalId: id,
      ...(nonces && i >= 0 ? { nonces: nonces(i) } : {}),
    });
  };
}

/**
 * The production path: the coordinator's persisted session (SQLite with synchronous=FULL,
 * session row and audit entries), all three signers asked, the first two answers used.
 */
async function persistedSessions(members: BenchSigner[], keyId: string, groupKey: WireGroupKey) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-session-'));
  const store = await openStore({ databaseUrl: `file:${path.join(dir, 'coordinator.db')}` });
  try {
    const signers = members.map(
      (m) =>
        new HttpFrostSigner({
          name: m.name,
          url: m.url,
          identifier: m.identifier,
          client: m.client,
        }),
    );
    return await timed(SAMPLES, async (i) => {
      await runFrostSession({
        db: store.db,
        signers,
        groupKey,
        keyId,
        proposalId: `session-${i}-${crypto.randomUUID()}`,
        message: crypto.getRandomValues(new Uint8Array(32)),
      });
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lower bound for `frost-2of3` on the machine running the bench: the noble calls on one
 * round's critical path, in process and without I/O, as if both signers ran at once on cores of
 * their own: one signer's share, then aggregation with its BIP340 check. Nonce draws are left
 * out (the signers draw them ahead of need), and so is the other signer's share.
 */
function frostCriticalPath(n: number) {
  const ids = ['a', 'b', 'c'].map((x) => schnorr_FROST.Identifier.derive(x));
  const deal = schnorr_FROST.trustedDealer({ min: 2, max: 3 }, ids);
  const groupKey = fromNoblePublic('secp256k1-tr', deal.public);
  const shares = ids
    .slice(0, 2)
    .map((id) => fromNobleSecret('secp256k1-tr', deal.secretShares[id]!));
  const samples: number[] = [];
  for (let i = -5; i < n; i++) {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const drawn = shares.map((share) => runCommit({ share }));
    const commitments = drawn.map((d) => d.commitment);
    const sign = (k: number) =>
      runSign({
        groupKey,
        share: shares[k]!,
        nonces: drawn[k]!.nonces,
        commitments,
        message,
        verifyOwnShare: false,
      }).signatureShare;
    const t0 = performance.now();
    const own = sign(0);
    const t1 = performance.now();
    const other = sign(1);
    const t2 = performance.now();
    runAggregate({ groupKey, commitments, message, shares: [own, other] });
    if (i >= 0) samples.push(t1 - t0 + (performance.now() - t2));
  }
  const { p50Ms, p99Ms } = summarize(samples);
  return { p50Ms, p99Ms };
}

/**
 * One multi-sig 2-of-3 signature (signing-ab.ts runs it with each tree's verifier): both
 * signers' P2WSH partials over a fresh sighash, each checked against its signer's key.
 */
export async function multisigRound(
  members: { client: { post<T>(path: string, body: unknown): Promise<T> } }[],
  publicKeys: string[],
  verify: (publicKey: string, sighash: Uint8Array, signature: string) => boolean,
): Promise<void> {
  const sighash = crypto.getRandomValues(new Uint8Array(32));
  const proposalId = `ms-${crypto.randomUUID()}`;
  const sigs = await Promise.all(
    members.map((s) =>
      s.client.post<{ signature: string }>('/v1/multisig/sign', {
        keyId: 'bench-ms',
        proposalId,
        scriptType: 'p2wsh',
        sighash: bytesToHex(sighash),
      }),
    ),
  );
  sigs.forEach((s, k) => {
    if (!verify(publicKeys[k]!, sighash, s.signature)) throw new Error('bad partial signature');
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const coordinator = generateIdentity();
  const signers = await Promise.all(
    [1, 2, 3, 4, 5].map((i) => startBenchSigner(`bench${i}`, coordinator)),
  );
  try {
    const three = signers.slice(0, 3);
    const key23 = await dkg(three, 'bench-2of3', 2);
    const key35 = await dkg(signers, 'bench-3of5', 3);
    const out: Record<string, unknown> = {};
    out['frost-2of3'] = await timed(SAMPLES, frost(three.slice(0, 2), 'bench-2of3', key23));
    out['frost-2of3-persisted-session'] = await persistedSessions(three, 'bench-2of3', key23);
    out['frost-3of5'] = await timed(SAMPLES, frost(signers.slice(0, 3), 'bench-3of5', key35));
    const pre = await Promise.all(
      signers.slice(0, 3).map((s) => requestCommitments(s, 'bench-3of5', SAMPLES)),
    );
    out['frost-3of5-preprocessed'] = await timed(
      SAMPLES,
      frost(signers.slice(0, 3), 'bench-3of5', key35, (i) => pre.map((p) => p[i]!)),
    );

    const pubs = await Promise.all(
      three.map((s) =>
        s.client.post<{ publicKey: string }>('/v1/multisig/keys', { keyId: 'bench-ms' }),
      ),
    );
    out['multisig-2of3'] = await timed(SAMPLES, () =>
      multisigRound(
        three.slice(0, 2),
        pubs.map((p) => p.publicKey),
        verifyP2wshPartial,
      ),
    );

    const batch = await Promise.all(
      three.slice(0, 2).map((s) => requestCommitments(s, 'bench-2of3', 100)),
    );
    const items = Array.from({ length: 100 }, (_, i) => {
      const id = `batch-${i}-${crypto.randomUUID()}`;
      return { message: crypto.getRandomValues(new Uint8Array(32)), sessionId: id, proposalId: id };
    });
    const t = performance.now();
    await frostRoundBatch({
      members: three.slice(0, 2),
      keyId: 'bench-2of3',
      groupKey: key23,
      items,
      nonces: batch,
    });
    out['frost-2of3-100-messages-one-session'] = { ms: Math.round(performance.now() - t) };

    const sk = schnorr.utils.randomSecretKey();
    const floor = await timed(SAMPLES, async () => {
      schnorr.sign(crypto.getRandomValues(new Uint8Array(32)), sk);
    });
    out['floor-schnorr-sign-in-process'] = floor;
    out['floor-frost-2of3-critical-path-in-process'] = frostCriticalPath(SAMPLES);
    return out;
  } finally {
    await stopBenchSigners(signers);
  }
}
