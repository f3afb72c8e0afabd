/**
 * Per-call timings of the pure custody protocol (no I/O), through our wire formats:
 * `npx tsx bench/signing-protocol.ts` prints one JSON object {call: {p50Ms, p99Ms, n}}.
 * The floor for comparison is one in-process `schnorr.sign`.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { runAggregate } from '../src/custody/frost/aggregate.ts';
import { identifierForIdentityKey, parseCeremony } from '../src/custody/frost/ceremony.ts';
import { runCommit } from '../src/custody/frost/commit.ts';
import {
  runDkgEcho,
  runDkgRound1,
  runDkgRound2,
  runDkgRound3,
} from '../src/custody/frost/keygen-dkg.ts';
import { runSign } from '../src/custody/frost/sign.ts';
import { verifyGroupSignature } from '../src/custody/frost/verify.ts';
import { generateIdentity } from '../src/custody/identity.ts';
import { signP2wshPartial, signTapscriptPartial } from '../src/custody/multisig/partial-sign.ts';
import { summarize } from './signing-protocol-stats.ts';

const round = (x: number) => Math.round(x * 1000) / 1000;

function time(n: number, fn: (i: number) => void) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

function dkg(min: number, max: number) {
  const ids = Array.from({ length: max }, () => generateIdentity());
  const ceremony = parseCeremony({
    ceremonyId: 'bench',
    suite: 'secp256k1-tr',
    threshold: { min, max },
    participants: ids.map((i) => ({
      identifier: identifierForIdentityKey(i.publicKey),
      identityKey: i.publicKey,
    })),
  });
  const order = ceremony.participants.map((p) => ids.find((i) => i.publicKey === p.identityKey)!);
  const t0 = performance.now();
  const r1 = order.map((identity) => runDkgRound1({ ceremony, identity }));
  const packages = r1.map((r) => r.package);
  const echoes = r1.map(
    (r, i) => runDkgEcho({ ceremony, identity: order[i]!, state: r.state, packages }).echo,
  );
  const env = r1.flatMap(
    (r, i) =>
      runDkgRound2({ ceremony, identity: order[i]!, state: r.state, packages, echoes }).envelopes,
  );
  const out = r1.map((r, i) =>
    runDkgRound3({
      ceremony,
      identity: order[i]!,
      state: r.state,
      packages,
      echoes,
      received: env.filter((e) => e.to === r.state.identifier),
    }),
  );
  return { out, ms: performance.now() - t0 };
}

const N = 200;
const { out: keys, ms: dkg23 } = dkg(2, 3);
const { ms: dkg35 } = dkg(3, 5);
const groupKey = keys[0]!.groupKey;
const shares = keys.slice(0, 2).map((k) => k.share);
const message = crypto.getRandomValues(new Uint8Array(32));

const rounds = Array.from({ length: N }, () =>
  shares.map((share) => ({ share, ...runCommit({ share }) })),
);
/** Signs round i's message with the first share, checking its own share or not. */
function signRound(verifyOwnShare: boolean) {
  return (i: number) => {
    const r = rounds[i]!;
    runSign({
      groupKey,
      share: r[0]!.share,
      nonces: { ...r[0]!.nonces },
      commitments: r.map((x) => x.commitment),
      message,
      verifyOwnShare,
    });
  };
}
const result: Record<string, unknown> = {
  commit: time(N, () => runCommit({ share: shares[0]! })),
  'sign (with own-share check)': time(N, signRound(true)),
  'sign (no own-share check)': time(N, signRound(false)),
};
const signed = rounds.map((r) => ({
  commitments: r.map((x) => x.commitment),
  shares: r.map(
    (x) =>
      runSign({
        groupKey,
        share: x.share,
        nonces: x.nonces,
        commitments: r.map((y) => y.commitment),
        message,
        verifyOwnShare: false,
      }).signatureShare,
  ),
}));
let sig = '';
result['aggregate 2-of-3 (incl. BIP340 verify)'] = time(N, (i) => {
  sig = runAggregate({ groupKey, message, ...signed[i]! }).signature;
});
const sigBytes = new Uint8Array(Buffer.from(sig.slice(2), 'hex'));
result['BIP340 verify'] = time(N, () => verifyGroupSignature(groupKey, message, sigBytes));
const sk = schnorr.utils.randomSecretKey();
result['floor: schnorr.sign'] = time(N, () => schnorr.sign(message, sk));
result['multisig ECDSA partial (P2WSH)'] = time(N, () =>
  signP2wshPartial({ secretKey: sk, sighash: message }),
);
result['multisig BIP340 partial (tapscript)'] = time(N, () =>
  signTapscriptPartial({ secretKey: sk, sighash: message }),
);
result['DKG 2-of-3, all participants, in process'] = { ms: round(dkg23) };
result['DKG 3-of-5, all participants, in process'] = { ms: round(dkg35) };
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
