/**
 * The coordinator's persisted FROST session against real signer processes over HTTP: a 3-of-5
 * signature from whichever signers answer, when one signer is down and another returns bad
 * shares (its stored share was corrupted): the down signer is skipped, the bad one is named as
 * the culprit by aggregation and recorded, and a retry without it gives a valid BIP340 signature.
 */
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  runFrostSession,
  SigningFailedError,
} from '../../../../src/api/coordinator/signing/frost-session.ts';
import { HttpFrostSigner } from '../../../../src/api/coordinator/signing/http-clients.ts';
import { readKek } from '../../../../src/api/signer/config.ts';
import { type Member, relayDkg } from '../../../../src/api/signer/driver.ts';
import { loadFrostKey } from '../../../../src/api/signer/vault.ts';
import { sealJson } from '../../../../src/custody/at-rest.ts';
import { parseCeremony } from '../../../../src/custody/frost/ceremony.ts';
import type { WireGroupKey } from '../../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../../src/custody/identity.ts';
import { openStore } from '../../../../src/store/store.ts';
import { useFreshStore } from '../../../support/databases.ts';
import { startSignerProcess, useSignerFleet } from '../../signer/harness.ts';

const coordinator = generateIdentity();
const { homes, procs } = useSignerFleet('r', 5, coordinator);
const keyId = 'frost-retry';
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

async function corruptShare(i: number): Promise<void> {
  await procs[i]!.stop();
  const kek = readKek(homes[i]!.kekFile);
  const store = await openStore({ databaseUrl: `file:${path.join(homes[i]!.dir, 'signer.db')}` });
  try {
    const key = await loadFrostKey(store.db, kek, keyId);
    const wrong = {
      ...key.share,
      signingShare: `0x${Buffer.from(schnorr.utils.randomSecretKey()).toString('hex')}`,
    };
    await store.db.signerKey.update({
      where: { id: keyId },
      data: { sealedSecret: sealJson(kek, `key:${keyId}`, wrong) },
    });
  } finally {
    await store.close();
  }
  procs[i] = await startSignerProcess(homes[i]!, coordinator);
}

describe('persisted FROST session against signer processes', () => {
  const ctx = useFreshStore('sqlite');
  let groupKey: WireGroupKey;
  let outputKey: string;
  const http = (i: number) =>
    new HttpFrostSigner({
      name: `r${i + 1}`,
      url: '',
      identifier: procs[i]!.identifier,
      client: procs[i]!.client,
    });
  const session = (indices: number[], message: Uint8Array) =>
    runFrostSession({
      db: ctx.store.db,
      signers: indices.map(http),
      groupKey,
      keyId,
      proposalId: `p-${Buffer.from(message).toString('hex').slice(0, 16)}`,
      message,
      roundTimeoutMs: 5000,
    });

  beforeAll(async () => {
    const ceremony = parseCeremony({
      ceremonyId: keyId,
      suite: 'secp256k1-tr',
      threshold: { min: 3, max: 5 },
      participants: procs.map((p) => ({ identifier: p.identifier, identityKey: p.identityKey })),
    });
    const members = (): Member[] =>
      procs.map((p) => ({ client: p.client, identifier: p.identifier }));
    ({ groupKey, outputKey } = await relayDkg(members(), ceremony));
    await corruptShare(0);
    await procs[1]!.stop();
  });

  it('malicious signer bad share: the culprit is named and recorded when it cannot be avoided', async () => {
    // Exactly t live signers, one of them corrupt: the first attempt must include it.
    const error = await session([0, 2, 3], crypto.getRandomValues(new Uint8Array(32))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SigningFailedError);
    expect((error as SigningFailedError).toProblem().culprits).toEqual(['r1']);
    const audit = await ctx.store.db.auditEntry.findMany({
      where: { action: 'signing.bad-share' },
    });
    expect(audit.map((e) => JSON.parse(e.data).culprits)).toContainEqual(['r1']);
  });

  it('a down signer is skipped, a bad one excluded, and the retry with the others signs', async () => {
    for (let i = 0; i < 3; i++) {
      const message = crypto.getRandomValues(new Uint8Array(32));
      const result = await session([0, 1, 2, 3, 4], message);
      expect(schnorr.verify(bytes(result.signature), message, bytes(outputKey))).toBe(true);
      expect(result.participants).not.toContain('r1');
      expect(result.participants).not.toContain('r2');
      expect(result.culprits.every((c) => c === 'r1')).toBe(true);
    }
  });
});
