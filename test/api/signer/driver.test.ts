/**
 * Coordinator-side drivers against real signer processes: a 3-of-5 signature from whichever
 * signers answer, when one signer is down and another returns bad shares (its stored share was
 * corrupted): the down signer is dropped, the bad one is named as the culprit by aggregation,
 * and the retry with the remaining three gives a valid BIP340 signature.
 */
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKek } from '../../../src/api/signer/config.ts';
import { type Member, relayDkg, signWithRetry } from '../../../src/api/signer/driver.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { sealJson } from '../../../src/custody/at-rest.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { openStore } from '../../../src/store/store.ts';
import {
  makeSignerHome,
  removeHome,
  type SignerHome,
  type SignerProcess,
  startSignerProcess,
} from './harness.ts';

const coordinator = generateIdentity();
const homes: SignerHome[] = [];
const procs: SignerProcess[] = [];
const keyId = 'frost-retry';
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

beforeAll(async () => {
  for (let i = 0; i < 5; i++) homes.push(makeSignerHome(`r${i + 1}`, coordinator.publicKey));
  procs.push(...(await Promise.all(homes.map((h) => startSignerProcess(h, coordinator)))));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  for (const h of homes) removeHome(h);
});

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

describe('signing session with retries', () => {
  it('malicious signer bad share: culprit named, down signer skipped, retry with others signs', async () => {
    const ceremony = parseCeremony({
      ceremonyId: keyId,
      suite: 'secp256k1-tr',
      threshold: { min: 3, max: 5 },
      participants: procs.map((p) => ({ identifier: p.identifier, identityKey: p.identityKey })),
    });
    const members = (): Member[] =>
      procs.map((p) => ({ client: p.client, identifier: p.identifier }));
    const { groupKey, outputKey } = await relayDkg(members(), ceremony);
    await corruptShare(0);
    await procs[1]!.stop();
    const message = crypto.getRandomValues(new Uint8Array(32));
    const { signature, attempts } = await signWithRetry({
      members: members(),
      threshold: 3,
      keyId,
      groupKey,
      message,
      sessionId: 'retry-1',
      proposalId: 'retry-1',
    });
    expect(schnorr.verify(bytes(signature), message, bytes(outputKey))).toBe(true);
    expect(attempts[0]).toMatchObject({ failed: procs[1]!.identifier });
    expect(attempts[1]).toMatchObject({ culprits: [procs[0]!.identifier] });
    expect(attempts[2]!.participants).toEqual([2, 3, 4].map((i) => procs[i]!.identifier));
    expect(attempts).toHaveLength(3);
  });
});
