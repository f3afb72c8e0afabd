/**
 * Signer services as separate processes over HTTP: DKG and FROST signing (2-of-3, 3-of-5),
 * preprocessed nonces, multi-sig partial signatures for both script types, and the attacks on
 * the transport: replayed request, forged coordinator request, tampered response.
 */
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SignerError } from '../../../src/api/signer/client.ts';
import {
  frostRound,
  frostRoundBatch,
  type Member,
  type NonceRef,
  relayDkg,
  requestCommitments,
} from '../../../src/api/signer/driver.ts';
import { HEADER, signRequest } from '../../../src/custody/auth/request.ts';
import { RESPONSE_SIGNATURE_HEADER } from '../../../src/custody/auth/response.ts';
import { AuthenticationFailedError } from '../../../src/custody/errors.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import { runDealerSplit } from '../../../src/custody/frost/keygen-dealer.ts';
import { parseDkgConfirmation, runDkgConfirm } from '../../../src/custody/frost/keygen-dkg.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { buildP2wshSortedMulti, buildTapscriptMultiA } from '../../../src/custody/multisig/keys.ts';
import {
  verifyP2wshPartial,
  verifyTapscriptPartial,
} from '../../../src/custody/multisig/partial-sign.ts';
import { type SignerHome, type SignerProcess, useSignerFleet } from './harness.ts';

const coordinator = generateIdentity();
/** The one dealer the signers' configs allow to import keys. */
const dealer = generateIdentity();
const { procs: signers, homes } = useSignerFleet('s', 5, coordinator, {
  dealerKeys: [dealer.publicKey],
});
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

/** Every row a signing request could change, read from the running signer's own database. */
function signerState(home: SignerHome): Record<string, unknown[]> {
  const db = new Database(path.join(home.dir, 'signer.db'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    const tables = ['SignerNonce', 'SignerProposal', 'SignerKey', 'SignerCeremony', 'AuditEntry'];
    return Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1`).all()]),
    );
  } finally {
    db.close();
  }
}

function ceremonyFor(ceremonyId: string, min: number, members: SignerProcess[]) {
  return parseCeremony({
    ceremonyId,
    suite: 'secp256k1-tr',
    threshold: { min, max: members.length },
    participants: members.map((s) => ({ identifier: s.identifier, identityKey: s.identityKey })),
  });
}

const asMembers = (list: SignerProcess[]): Member[] =>
  list.map((s) => ({ client: s.client, identifier: s.identifier }));

describe.each([
  [2, 3],
  [3, 5],
])('FROST %i-of-%i across signer processes', (min, max) => {
  it('DKG, then any t signers produce a BIP340 signature under the output key', async () => {
    const members = signers.slice(0, max);
    const keyId = `frost-${min}of${max}`;
    const ceremony = ceremonyFor(keyId, min, members);
    const { groupKey, outputKey } = await relayDkg(asMembers(members), ceremony);
    for (const subset of [members.slice(0, min), members.slice(max - min)]) {
      const message = crypto.getRandomValues(new Uint8Array(32));
      const { signature } = await frostRound({
        members: asMembers(subset),
        keyId,
        groupKey,
        message,
        sessionId: `sess-${crypto.randomUUID()}`,
        proposalId: `prop-${crypto.randomUUID()}`,
      });
      expect(schnorr.verify(bytes(signature), message, bytes(outputKey))).toBe(true);
    }
    // Preprocessed: commitments fetched ahead, signing is one round trip per signer.
    const subset = asMembers(members.slice(0, min));
    const batches = await Promise.all(subset.map((m) => requestCommitments(m, keyId, 4)));
    for (let k = 0; k < 4; k++) {
      const message = crypto.getRandomValues(new Uint8Array(32));
      const { signature } = await frostRound({
        members: subset,
        keyId,
        groupKey,
        message,
        sessionId: `pre-${k}-${crypto.randomUUID()}`,
        proposalId: `pre-${k}-${crypto.randomUUID()}`,
        nonces: batches.map((b) => b[k]!),
      });
      expect(schnorr.verify(bytes(signature), message, bytes(outputKey))).toBe(true);
    }
  });
});

describe('trusted-dealer import across signer processes', () => {
  it('each signer verifies and stores its share; the imported key signs as its Taproot output key', async () => {
    const members = signers.slice(0, 3);
    const keyId = 'imported-1';
    const ceremony = ceremonyFor(keyId, 2, members);
    const split = runDealerSplit({ ceremony, dealer, secretKey: schnorr.utils.randomSecretKey() });
    const results = await Promise.all(
      members.map((s) =>
        s.client.post<{ confirmation: unknown; outputKey: string }>('/v1/import/accept', {
          ceremony,
          dealerKey: dealer.publicKey,
          groupKey: split.groupKey,
          groupKeySignature: split.groupKeySignature,
          envelope: split.envelopes.find((e) => e.to === s.identifier),
        }),
      ),
    );
    const { outputKey } = runDkgConfirm({
      ceremony,
      groupKey: split.groupKey,
      confirmations: results.map((r) => parseDkgConfirmation(r.confirmation)),
    });
    expect(outputKey).toBe(split.outputKey);
    const message = crypto.getRandomValues(new Uint8Array(32));
    const { signature } = await frostRound({
      members: asMembers(members.slice(1)),
      keyId,
      groupKey: split.groupKey,
      message,
      sessionId: 'import-s1',
      proposalId: 'import-p1',
    });
    expect(schnorr.verify(bytes(signature), message, bytes(outputKey))).toBe(true);
  });

  it('a share envelope meant for another signer is refused', async () => {
    const members = signers.slice(0, 3);
    const ceremony = ceremonyFor('imported-2', 2, members);
    const split = runDealerSplit({ ceremony, dealer, secretKey: schnorr.utils.randomSecretKey() });
    const wrongEnvelope = split.envelopes.find((e) => e.to !== members[0]!.identifier);
    await expect(
      members[0]!.client.post('/v1/import/accept', {
        ceremony,
        dealerKey: dealer.publicKey,
        groupKey: split.groupKey,
        groupKeySignature: split.groupKeySignature,
        envelope: wrongEnvelope,
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('dealer key taken from the request: an import dealt by a dealer the config does not name is refused, and nothing is stored', async () => {
    const members = signers.slice(0, 3);
    const keyId = 'imported-rogue';
    const ceremony = ceremonyFor(keyId, 2, members);
    // Whoever holds the coordinator key deals a key of its own, so it knows the whole secret.
    const rogue = generateIdentity();
    const secretKey = schnorr.utils.randomSecretKey();
    const split = runDealerSplit({ ceremony, dealer: rogue, secretKey });
    for (const s of members) {
      await expect(
        s.client.post('/v1/import/accept', {
          ceremony,
          dealerKey: rogue.publicKey,
          groupKey: split.groupKey,
          groupKeySignature: split.groupKeySignature,
          envelope: split.envelopes.find((e) => e.to === s.identifier),
        }),
      ).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/dealerKeys/) });
      await expect(s.client.get(`/v1/keys/${keyId}`)).rejects.toMatchObject({ status: 404 });
    }
  });
});

describe('many messages in one session (sign-batch)', () => {
  it('signs 20 messages with preprocessed nonces, pipelined in chunks; replaying the batch in other chunks gives the same signatures; a reused nonce is refused per item', async () => {
    const members = signers.slice(0, 3);
    const keyId = 'frost-batch';
    const { groupKey, outputKey } = await relayDkg(
      asMembers(members),
      ceremonyFor(keyId, 2, members),
    );
    const pair = asMembers(members.slice(0, 2));
    const nonces = await Promise.all(pair.map((m) => requestCommitments(m, keyId, 20)));
    const items = Array.from({ length: 20 }, (_, i) => ({
      message: crypto.getRandomValues(new Uint8Array(32)),
      sessionId: `batch-${i}`,
      proposalId: `batch-${i}`,
    }));
    const { signatures } = await frostRoundBatch({
      members: pair,
      keyId,
      groupKey,
      items,
      nonces,
      chunkSize: 7,
    });
    expect(signatures.length).toBe(20);
    signatures.forEach((sig, i) => {
      expect(schnorr.verify(bytes(sig), items[i]!.message, bytes(outputKey))).toBe(true);
    });
    const again = await frostRoundBatch({ members: pair, keyId, groupKey, items, nonces });
    expect(again.signatures).toEqual(signatures);
    const other = items.map((it, i) => ({
      ...it,
      message: new Uint8Array(32).fill(i + 1),
      sessionId: `other-${i}`,
      proposalId: `other-${i}`,
    }));
    await expect(
      frostRoundBatch({ members: pair, keyId, groupKey, items: other, nonces }),
    ).rejects.toThrow(/already used/);
    // A used nonce in a later chunk: the call fails naming that item, after the earlier chunks.
    const fresh = await Promise.all(pair.map((m) => requestCommitments(m, keyId, 20)));
    const mixed = fresh.map((list, m) => list.map((n, k) => (k === 14 ? nonces[m]![0]! : n)));
    await expect(
      frostRoundBatch({
        members: pair,
        keyId,
        groupKey,
        items: other,
        nonces: mixed,
        chunkSize: 5,
      }),
    ).rejects.toThrow(/refused item 14: .*already used/);
  });
});

describe('multi-sig 2-of-3 across signer processes', () => {
  it('each signer generates its key; partial signatures verify for P2WSH and tapscript', async () => {
    const members = signers.slice(0, 3);
    const keys = await Promise.all(
      members.map((s) =>
        s.client.post<{ publicKey: string }>('/v1/multisig/keys', { keyId: 'ms-1' }),
      ),
    );
    const pubs = keys.map((k) => k.publicKey);
    const wsh = buildP2wshSortedMulti(2, pubs);
    const tap = buildTapscriptMultiA(2, pubs);
    expect(wsh.publicKeys).toEqual([...pubs].sort());
    const sighash = crypto.getRandomValues(new Uint8Array(32));
    for (const [i, s] of members.slice(0, 2).entries()) {
      const ecdsa = await s.client.post<{ signature: string }>('/v1/multisig/sign', {
        keyId: 'ms-1',
        proposalId: `ms-p2wsh-${i}`,
        scriptType: 'p2wsh',
        sighash: `0x${Buffer.from(sighash).toString('hex')}`,
      });
      expect(verifyP2wshPartial(pubs[i]!, sighash, ecdsa.signature)).toBe(true);
      const bip340 = await s.client.post<{ signature: string }>('/v1/multisig/sign', {
        keyId: 'ms-1',
        proposalId: `ms-tap-${i}`,
        scriptType: 'tapscript',
        sighash: `0x${Buffer.from(sighash).toString('hex')}`,
      });
      expect(verifyTapscriptPartial(`0x${pubs[i]!.slice(4)}`, sighash, bip340.signature)).toBe(
        true,
      );
      expect(tap.publicKeys).toContain(`0x${pubs[i]!.slice(4)}`);
    }
  });

  it('policy: a second, different message for the same proposal is refused', async () => {
    const s = signers[0]!;
    await s.client.post('/v1/multisig/keys', { keyId: 'ms-1' });
    const sign = (sighash: string) =>
      s.client.post('/v1/multisig/sign', {
        keyId: 'ms-1',
        proposalId: 'prop-bound',
        scriptType: 'p2wsh',
        sighash,
      });
    await sign(`0x${'11'.repeat(32)}`);
    await expect(sign(`0x${'11'.repeat(32)}`)).resolves.toBeDefined();
    await expect(sign(`0x${'22'.repeat(32)}`)).rejects.toMatchObject({ status: 403 });
  });
});

describe('attacks on the coordinator-signer channel', () => {
  const path = '/v1/multisig/keys';
  const body = new TextEncoder().encode(JSON.stringify({ keyId: 'ms-attack' }));

  it('replayed request: a captured request sent again is refused', async () => {
    const s = signers[1]!;
    const headers = s.client.signHeaders('POST', path, body);
    const first = await s.client.send('POST', path, body, headers);
    expect(first.status).toBe(200);
    const again = await s.client.send('POST', path, body, headers);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { type: string }).type).toMatch(/replayed-request/);
  });

  it('replayed request on the FROST routes, which record the id with their own work: refused', async () => {
    const members = signers.slice(0, 3);
    const keyId = 'frost-replay';
    await relayDkg(asMembers(members), ceremonyFor(keyId, 2, members));
    const [a, b] = [members[0]!, members[1]!];
    const replayed = async (s: SignerProcess, route: string, payload: Uint8Array) => {
      const headers = s.client.signHeaders('POST', route, payload);
      const first = await s.client.send('POST', route, payload, headers);
      const again = await s.client.send('POST', route, payload, headers);
      expect(again.status, route).toBe(409);
      expect(((await again.json()) as { type: string }).type).toMatch(/replayed-request/);
      return first;
    };
    const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    // Round 1: the first answer is a commitment, the replay makes none.
    const first = await replayed(a, '/v1/frost/commitments', json({ keyId, count: 1 }));
    expect(first.status).toBe(200);
    // Round 2 on a fresh nonce: a share once, then the replay is refused (not answered again).
    const nonces = [
      ((await first.json()) as { items: NonceRef[] }).items[0]!,
      (await requestCommitments(asMembers([b])[0]!, keyId, 1))[0]!,
    ];
    const signBody = json({
      keyId,
      nonceId: nonces[0]!.nonceId,
      sessionId: 'replay-1',
      proposalId: 'replay-1',
      message: `0x${'33'.repeat(32)}`,
      commitments: nonces.map((n) => n.commitment),
    });
    expect((await replayed(a, '/v1/frost/sign', signBody)).status).toBe(200);
    // Requests refused before or inside the handler are recorded too.
    const unknownNonce = json({
      keyId,
      nonceId: 'n_missing',
      sessionId: 'replay-2',
      proposalId: 'replay-2',
      message: `0x${'44'.repeat(32)}`,
      commitments: nonces.map((n) => n.commitment),
    });
    expect((await replayed(a, '/v1/frost/sign', unknownNonce)).status).toBe(404);
    expect((await replayed(a, '/v1/frost/sign', new TextEncoder().encode('{'))).status).toBe(400);
    expect((await replayed(a, '/v1/frost/sign-batch', json([1]))).status).toBe(400);
  });

  it('replayed request: a request for one signer replayed to another is refused', async () => {
    const [a, b] = [signers[0]!, signers[1]!];
    const headers = a.client.signHeaders('POST', path, body);
    const res = await b.client.send('POST', path, body, headers);
    expect(res.status).toBe(401);
  });

  it('forged coordinator request: signed by an untrusted key', async () => {
    const s = signers[2]!;
    const forger = generateIdentity();
    const headers = signRequest({
      identity: forger,
      method: 'POST',
      path,
      body,
      audience: s.identityKey,
    });
    const res = await s.client.send('POST', path, body, headers);
    expect(res.status).toBe(401);
    const unsigned = await s.client.send('POST', path, body, {});
    expect(unsigned.status).toBe(401);
  });

  it('signed refusals: a request the signer cannot verify gets an unsigned answer, which cannot pass for its answer to the real request', async () => {
    const s = signers[2]!;
    const real = s.client.signHeaders('POST', path, body);
    // Someone without the coordinator's key claims the real request's id: forged signature,
    // then the right signature over another body.
    const forgedSig = { ...real, [HEADER.signature]: `0x${'11'.repeat(64)}` };
    const otherBody = new TextEncoder().encode(JSON.stringify({ keyId: 'ms-other' }));
    for (const [headers, sent] of [
      [forgedSig, body],
      [real, otherBody],
    ] as const) {
      const refused = await s.client.send('POST', path, sent, headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get(RESPONSE_SIGNATURE_HEADER)).toBeNull();
      await expect(
        s.client.accept(refused, { method: 'POST', path, body, headers: real }),
      ).rejects.toThrow(/unsigned answer \(status 401\)/);
    }
    // The real request was not burnt by them, and its answer is signed and accepted.
    const answer = await s.client.send('POST', path, body, real);
    expect(answer.headers.get(RESPONSE_SIGNATURE_HEADER)).toMatch(/^0x/);
    await expect(
      s.client.accept(answer, { method: 'POST', path, body, headers: real }),
    ).resolves.toMatchObject({ publicKey: expect.any(String) });
  });

  it('a signed answer is bound to the verified request: it fails as the answer to another request', async () => {
    const s = signers[2]!;
    const first = s.client.signHeaders('POST', path, body);
    const answer = await s.client.send('POST', path, body, first);
    const second = s.client.signHeaders('POST', path, body);
    await expect(
      s.client.accept(answer, { method: 'POST', path, body, headers: second }),
    ).rejects.toThrow(AuthenticationFailedError);
  });

  it('tampered response: a changed body fails the signer signature check', async () => {
    const s = signers[2]!;
    const headers = s.client.signHeaders('POST', path, body);
    const res = await s.client.send('POST', path, body, headers);
    const original = await res.text();
    const tampered = new Response(original.replace(/0x0[23]/, '0x04'), {
      status: res.status,
      headers: res.headers,
    });
    const sent = { method: 'POST', path, body, headers };
    await expect(s.client.accept(tampered, sent)).rejects.toThrow(AuthenticationFailedError);
    const intact = new Response(original, { status: res.status, headers: res.headers });
    await expect(s.client.accept(intact, sent)).resolves.toBeDefined();
  });

  it('readyz reports durable commits (SQLite synchronous=FULL: a used nonce survives a power cut)', async () => {
    const res = await fetch(new URL('/readyz', signers[0]!.url));
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(body.checks['durable-commits']).toEqual({ ok: true, detail: 'synchronous=FULL' });
  });

  it('malformed bodies on every route are 4xx problems, never a crash', async () => {
    const s = signers[3]!;
    const routes = [
      '/v1/dkg/round1',
      '/v1/dkg/echo',
      '/v1/dkg/round2',
      '/v1/dkg/round3',
      '/v1/import/accept',
      '/v1/frost/commitments',
      '/v1/frost/sign',
      '/v1/frost/sign-batch',
      '/v1/multisig/keys',
      '/v1/multisig/sign',
    ];
    const bodies = [
      {},
      { keyId: 'x'.repeat(500) },
      { ceremony: { threshold: { min: 5, max: 2 } } },
      { items: 'nope', keyId: 'bad key' },
      [],
    ];
    for (const path of routes) {
      for (const body of bodies) {
        const error = await s.client.post(path, body).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${path} ${JSON.stringify(body)}`).toBeInstanceOf(SignerError);
        expect((error as SignerError).status, path).toBeGreaterThanOrEqual(400);
        expect((error as SignerError).status, path).toBeLessThan(500);
      }
    }
    const health = await fetch(new URL('/healthz', s.url));
    expect(health.status).toBe(200);
  });

  it('bad input is a 4xx problem and changes nothing', async () => {
    const members = signers.slice(0, 3);
    const keyId = 'frost-bad-input';
    const { groupKey } = await relayDkg(asMembers(members), ceremonyFor(keyId, 2, members));
    const s = signers[0]!;
    const [mine] = await requestCommitments(asMembers([s])[0]!, keyId, 1);
    const [theirs] = await requestCommitments(asMembers([signers[1]!])[0]!, keyId, 1);
    const before = signerState(homes[0]!);
    expect(before.SignerNonce).toContainEqual(
      expect.objectContaining({ id: mine!.nonceId, status: 'fresh' }),
    );
    const sign = (overrides: Record<string, unknown>) =>
      s.client.post('/v1/frost/sign', {
        keyId,
        nonceId: mine!.nonceId,
        sessionId: 'bad-input',
        proposalId: 'bad-input',
        message: `0x${'55'.repeat(32)}`,
        commitments: [mine!.commitment, theirs!.commitment],
        ...overrides,
      });
    const refusals: [string, Promise<unknown>, number][] = [
      ['unknown key', s.client.post('/v1/frost/commitments', { keyId: 'no-such-key' }), 404],
      ['malformed key id', s.client.post('/v1/frost/commitments', { keyId: 'bad key!' }), 400],
      ...[0, 1001, 1.5, '2'].map((count): [string, Promise<unknown>, number] => [
        `count ${count}`,
        s.client.post('/v1/frost/commitments', { keyId, count }),
        400,
      ]),
      ['short message', sign({ message: '0x55' }), 400],
      ['unknown nonce', sign({ nonceId: 'n_missing' }), 404],
      ['list without our commitment', sign({ commitments: [theirs!.commitment] }), 400],
      [
        'another signer commitment in our place',
        sign({
          commitments: [
            theirs!.commitment,
            { ...mine!.commitment, hiding: theirs!.commitment.hiding },
          ],
        }),
        400,
      ],
      [
        'unknown script type',
        s.client.post('/v1/multisig/sign', {
          keyId,
          proposalId: 'bad-input',
          scriptType: 'p2pkh',
          sighash: `0x${'55'.repeat(32)}`,
        }),
        400,
      ],
    ];
    for (const [what, call, status] of refusals) {
      await expect(call, what).rejects.toMatchObject({ status });
    }
    // Nothing stored: no nonce drawn or used, no proposal bound, no key, no ceremony, no audit
    // entry. (Each request's id is recorded: that is what makes it unreplayable.)
    expect(signerState(homes[0]!)).toEqual(before);
    // And the nonce the bad requests named still signs.
    const { signature } = await frostRound({
      members: asMembers([s, signers[1]!]),
      keyId,
      groupKey,
      message: new Uint8Array(32).fill(0x55),
      sessionId: 'bad-input-then-good',
      proposalId: 'bad-input-then-good',
      nonces: [mine!, theirs!],
    });
    expect(signature).toMatch(/^0x[0-9a-f]{128}$/);
  });
});
