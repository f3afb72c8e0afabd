/**
 * A/B of the signing benchmark between two work trees, for a machine whose load changes from
 * one minute to the next: both trees' signer processes run at once and the rounds alternate
 * (A, B, B, A, …), so both sides of every pair see the same load. Each tree is driven by its
 * own code (its own driver, clients and signer processes).
 *
 *   npx tsx bench/signing-ab.ts --a /path/to/baseline-tree --b /path/to/candidate-tree
 *
 * SIGNING_AB_SAMPLES rounds per case (default 200), SIGNING_AB_BATCHES for the 100-message case
 * (default 10), SIGNING_AB_ONLY=case,case to run a subset. Prints one JSON object
 * {case: {a: {p50Ms, p99Ms}, b: {p50Ms, p99Ms}}}; progress goes to stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import type * as FrostSession from '../src/api/coordinator/signing/frost-session.ts';
import type * as HttpClients from '../src/api/coordinator/signing/http-clients.ts';
import type * as Driver from '../src/api/signer/driver.ts';
import type * as Ceremony from '../src/custody/frost/ceremony.ts';
import type * as Identity from '../src/custody/identity.ts';
import type * as PartialSign from '../src/custody/multisig/partial-sign.ts';
import type * as StoreModule from '../src/store/store.ts';
import { multisigRound } from './signing.section.ts';
import type * as Processes from './signing-processes.ts';
import { summarize } from './signing-protocol-stats.ts';

const SAMPLES = Number(process.env.SIGNING_AB_SAMPLES ?? 200);
const BATCHES = Number(process.env.SIGNING_AB_BATCHES ?? 10);
const ONLY = process.env.SIGNING_AB_ONLY?.split(',');

function treeArgs(argv: string[]): { a: string; b: string } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    const value = i === -1 ? undefined : argv[i + 1];
    if (!value) throw new Error(`usage: signing-ab.ts --a TREE --b TREE (missing ${flag})`);
    return path.resolve(value);
  };
  return { a: get('--a'), b: get('--b') };
}

async function load(root: string) {
  const m = <T>(p: string) => import(path.join(root, p)) as Promise<T>;
  return {
    driver: await m<typeof Driver>('src/api/signer/driver.ts'),
    session: await m<typeof FrostSession>('src/api/coordinator/signing/frost-session.ts'),
    http: await m<typeof HttpClients>('src/api/coordinator/signing/http-clients.ts'),
    ceremony: await m<typeof Ceremony>('src/custody/frost/ceremony.ts'),
    identity: await m<typeof Identity>('src/custody/identity.ts'),
    partial: await m<typeof PartialSign>('src/custody/multisig/partial-sign.ts'),
    store: await m<typeof StoreModule>('src/store/store.ts'),
    procs: await m<typeof Processes>('bench/signing-processes.ts'),
  };
}

type Case = () => Promise<number | undefined>;

/** One tree's signers, keys and cases; a case returns its own time or undefined (timed here). */
async function setup(label: string, root: string) {
  const L = await load(root);
  const coordinator = L.identity.generateIdentity();
  const signers = await Promise.all(
    [1, 2, 3, 4, 5].map((i) => L.procs.startBenchSigner(`${label}${i}`, coordinator)),
  );
  const dkg = async (members: Processes.BenchSigner[], keyId: string, min: number) => {
    const ceremony = L.ceremony.parseCeremony({
      ceremonyId: keyId,
      suite: 'secp256k1-tr',
      threshold: { min, max: members.length },
      participants: members.map((s) => ({ identifier: s.identifier, identityKey: s.identityKey })),
    });
    return (await L.driver.relayDkg(members, ceremony)).groupKey;
  };
  const three = signers.slice(0, 3);
  const key23 = await dkg(three, 'bench-2of3', 2);
  const key35 = await dkg(signers, 'bench-3of5', 3);
  const pre = await Promise.all(
    three.map((s) => L.driver.requestCommitments(s, 'bench-3of5', SAMPLES + 10)),
  );
  const pubs = await Promise.all(
    three.map((s) =>
      s.client.post<{ publicKey: string }>('/v1/multisig/keys', { keyId: 'bench-ms' }),
    ),
  );
  const dir = mkdtempSync(path.join(tmpdir(), `bench-ab-${label}-`));
  const store = await L.store.openStore({
    databaseUrl: `file:${path.join(dir, 'coordinator.db')}`,
  });
  const httpSigners = three.map(
    (m) =>
      new L.http.HttpFrostSigner({
        name: m.name,
        url: m.url,
        identifier: m.identifier,
        client: m.client,
      }),
  );
  let preIndex = 0;
  const frost = async (
    members: Processes.BenchSigner[],
    keyId: string,
    groupKey: typeof key23,
    nonces?: Driver.NonceRef[],
  ) => {
    const id = `${keyId}-${crypto.randomUUID()}`;
    await L.driver.frostRound({
      members,
      keyId,
      groupKey,
      message: crypto.getRandomValues(new Uint8Array(32)),
      sessionId: id,
      proposalId: id,
      ...(nonces ? { nonces } : {}),
    });
    return undefined;
  };
  const cases: Record<string, Case> = {
    'frost-2of3': () => frost(three.slice(0, 2), 'bench-2of3', key23),
    'frost-2of3-persisted-session': async () => {
      await L.session.runFrostSession({
        db: store.db,
        signers: httpSigners,
        groupKey: key23,
        keyId: 'bench-2of3',
        proposalId: `session-${crypto.randomUUID()}`,
        message: crypto.getRandomValues(new Uint8Array(32)),
      });
      return undefined;
    },
    'frost-3of5': () => frost(three, 'bench-3of5', key35),
    'frost-3of5-preprocessed': () => {
      const i = preIndex++;
      return frost(
        three,
        'bench-3of5',
        key35,
        pre.map((p) => p[i]!),
      );
    },
    'multisig-2of3': async () => {
      const keys = pubs.map((p) => p.publicKey);
      await multisigRound(three.slice(0, 2), keys, L.partial.verifyP2wshPartial);
      return undefined;
    },
    'frost-2of3-100-messages-one-session': async () => {
      const nonces = await Promise.all(
        three.slice(0, 2).map((s) => L.driver.requestCommitments(s, 'bench-2of3', 100)),
      );
      const items = Array.from({ length: 100 }, () => {
        const id = `batch-${crypto.randomUUID()}`;
        return {
          message: crypto.getRandomValues(new Uint8Array(32)),
          sessionId: id,
          proposalId: id,
        };
      });
      const t = performance.now();
      await L.driver.frostRoundBatch({
        members: three.slice(0, 2),
        keyId: 'bench-2of3',
        groupKey: key23,
        items,
        nonces,
      });
      return performance.now() - t;
    },
  };
  return {
    cases,
    stop: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      await L.procs.stopBenchSigners(signers);
    },
  };
}

const roots = treeArgs(process.argv.slice(2));
const trees = { a: await setup('a', roots.a), b: await setup('b', roots.b) };
const out: Record<string, unknown> = {};
try {
  for (const name of Object.keys(trees.a.cases)) {
    if (ONLY && !ONLY.includes(name)) continue;
    const n = name.includes('100-messages') ? BATCHES : SAMPLES;
    const samples = { a: [] as number[], b: [] as number[] };
    for (let i = -3; i < n; i++) {
      const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const side of order) {
        const t = performance.now();
        const own = await trees[side].cases[name]!();
        if (i >= 0) samples[side].push(own ?? performance.now() - t);
      }
    }
    out[name] = { a: summarize(samples.a), b: summarize(samples.b) };
    process.stderr.write(`${name}: ${JSON.stringify(out[name])}\n`);
  }
  const sk = schnorr.utils.randomSecretKey();
  const floor: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    schnorr.sign(crypto.getRandomValues(new Uint8Array(32)), sk);
    floor.push(performance.now() - t);
  }
  out['floor-schnorr-sign-in-process'] = summarize(floor);
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await trees.a.stop();
  await trees.b.stop();
}
process.exit(0);
