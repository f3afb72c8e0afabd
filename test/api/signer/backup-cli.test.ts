/**
 * `custody backup export|restore` through the real CLI on a signer that took part in a DKG:
 * shards are written; a lost share, and a whole lost database, are restored from k of them,
 * and the restored signer process signs again with another signer process; another signer's
 * kit and a corrupted shard are refused. Also: the share is not in the database in clear, and
 * a KEK stored beside the data is refused at start-up.
 */
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKek } from '../../../src/api/signer/config.ts';
import { frostRound, relayDkg } from '../../../src/api/signer/driver.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import type { WireGroupKey } from '../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { openStore } from '../../../src/store/store.ts';
import { runCli } from '../../support/cli.ts';
import { makeSignerHome, removeHome, type SignerHome, startSignerProcess } from './harness.ts';

const coordinator = generateIdentity();
const homes: SignerHome[] = [];
const keyId = 'frost-backup';
const dbUrl = (h: SignerHome) => `file:${path.join(h.dir, 'signer.db')}`;
let groupKey: WireGroupKey;
let outputKey: string;
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

/** Starts the signer processes of `pair`, has them sign a fresh message, and stops them. */
async function signsAgain(pair: SignerHome[]): Promise<boolean> {
  const procs = await Promise.all(pair.map((h) => startSignerProcess(h, coordinator)));
  try {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const { signature } = await frostRound({
      members: procs.map((p) => ({ client: p.client, identifier: p.identifier })),
      keyId,
      groupKey,
      message,
      sessionId: `again-${crypto.randomUUID()}`,
      proposalId: `again-${crypto.randomUUID()}`,
    });
    return schnorr.verify(bytes(signature), message, bytes(outputKey));
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function withDb<T>(
  h: SignerHome,
  fn: (db: Awaited<ReturnType<typeof openStore>>['db']) => Promise<T>,
): Promise<T> {
  const store = await openStore({ databaseUrl: dbUrl(h) });
  try {
    return await fn(store.db);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  for (let i = 0; i < 3; i++) homes.push(makeSignerHome(`b${i + 1}`, coordinator.publicKey));
  const procs = await Promise.all(homes.map((h) => startSignerProcess(h, coordinator)));
  const ceremony = parseCeremony({
    ceremonyId: keyId,
    suite: 'secp256k1-tr',
    threshold: { min: 2, max: 3 },
    participants: procs.map((s) => ({ identifier: s.identifier, identityKey: s.identityKey })),
  });
  ({ groupKey, outputKey } = await relayDkg(
    procs.map((s) => ({ client: s.client, identifier: s.identifier })),
    ceremony,
  ));
  await Promise.all(procs.map((s) => s.stop()));
});

afterAll(() => {
  for (const h of homes) removeHome(h);
});

function cli(args: string[], h: SignerHome) {
  return runCli(['backup', ...args, '--config', h.configFile], {
    SIGNER_KEK_FILE: h.kekFile,
    LOG_LEVEL: 'silent',
  });
}

describe('custody backup', () => {
  it('the share is sealed at rest: the database file does not contain it', async () => {
    const kek = readKek(homes[0]!.kekFile);
    const key = await withDb(homes[0]!, (db) => loadFrostKey(db, kek, keyId));
    const file = readFileSync(path.join(homes[0]!.dir, 'signer.db'));
    expect(file.includes(Buffer.from(key.share.signingShare.slice(2), 'hex'))).toBe(false);
    expect(file.includes(Buffer.from(key.share.signingShare.slice(2)))).toBe(false);
  });

  it('export 2-of-3, lose the share, restore it from two shards, and it signs again', async () => {
    const h = homes[0]!;
    const out = path.join(h.dir, 'kit');
    const exported = await cli(
      ['export', '--key', keyId, '--threshold', '2', '--shards', '3', '--out', out],
      h,
    );
    expect(exported.stderr).toBe('');
    const { files } = JSON.parse(exported.stdout) as { files: string[] };
    expect(files).toHaveLength(3);
    const kek = readKek(h.kekFile);
    const before = await withDb(h, (db) => loadFrostKey(db, kek, keyId));
    const groupKeyFile = path.join(h.dir, 'group-key.json');
    writeFileSync(groupKeyFile, JSON.stringify(before.groupKey));
    await withDb(h, (db) => db.signerKey.delete({ where: { id: keyId } }));
    const restored = await cli(
      ['restore', '--key', keyId, '--group-key', groupKeyFile, files[0]!, files[2]!],
      h,
    );
    expect(restored.stderr).toBe('');
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: true });
    const after = await withDb(h, (db) => loadFrostKey(db, kek, keyId));
    expect(after.share).toEqual(before.share);
    expect(await signsAgain([h, homes[1]!])).toBe(true);
  });

  it('a signer that lost its database: delete it, restore from its kit (identity and share), and it signs again across processes', async () => {
    const h = homes[0]!;
    const { files } = JSON.parse(
      (
        await cli(
          [
            'export',
            '--key',
            keyId,
            '--threshold',
            '2',
            '--shards',
            '3',
            '--out',
            path.join(h.dir, 'kit-db'),
          ],
          h,
        )
      ).stdout,
    ) as { files: string[] };
    const identityKey = await withDb(
      h,
      async (db) => (await db.signerIdentity.findUniqueOrThrow({ where: { id: 1 } })).publicKey,
    );
    const groupKeyFile = path.join(h.dir, 'group-key-db.json');
    writeFileSync(groupKeyFile, JSON.stringify(groupKey));
    for (const suffix of ['', '-wal', '-shm']) {
      rmSync(path.join(h.dir, `signer.db${suffix}`), { force: true });
    }
    const restored = await cli(
      ['restore', '--key', keyId, '--group-key', groupKeyFile, files[1]!, files[2]!],
      h,
    );
    expect(restored.stderr).toBe('');
    expect(JSON.parse(restored.stdout)).toMatchObject({
      restored: true,
      identityKey,
      identityRestored: true,
    });
    const proc = await startSignerProcess(h, coordinator);
    expect(proc.identityKey).toBe(identityKey);
    await proc.stop();
    expect(await signsAgain([h, homes[2]!])).toBe(true);
  });

  it('wrong backup reconstruction: a corrupted shard is refused and nothing is written', async () => {
    const h = homes[1]!;
    const out = path.join(h.dir, 'kit');
    const { files } = JSON.parse(
      (await cli(['export', '--key', keyId, '--threshold', '2', '--shards', '3', '--out', out], h))
        .stdout,
    ) as { files: string[] };
    const shard = JSON.parse(readFileSync(files[1]!, 'utf8'));
    shard.shard = `${shard.shard.slice(0, 6)}${shard.shard.slice(6, 8) === 'ff' ? '00' : 'ff'}${shard.shard.slice(8)}`;
    writeFileSync(files[1]!, JSON.stringify(shard));
    const before = await withDb(h, (db) =>
      db.signerKey.findUniqueOrThrow({ where: { id: keyId } }),
    );
    const res = await cli(['restore', '--key', keyId, files[0]!, files[1]!], h);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/reconstruction is wrong/);
    const after = await withDb(h, (db) => db.signerKey.findUniqueOrThrow({ where: { id: keyId } }));
    expect(after.sealedSecret).toBe(before.sealedSecret);
  });

  it("another signer's kit is refused (two signers must never hold one share)", async () => {
    const [a, b] = [homes[1]!, homes[2]!];
    const out = path.join(b.dir, 'kit-b');
    const { files } = JSON.parse(
      (await cli(['export', '--key', keyId, '--threshold', '2', '--shards', '3', '--out', out], b))
        .stdout,
    ) as { files: string[] };
    const res = await cli(['restore', '--key', keyId, files[0]!, files[1]!], a);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/another signer's kit/);
  });

  it('a KEK readable by group or others is refused at start-up', async () => {
    const h = homes[2]!;
    chmodSync(h.kekFile, 0o644);
    try {
      const res = await runCli(['signer', '--config', h.configFile], {
        SIGNER_KEK_FILE: h.kekFile,
        LOG_LEVEL: 'silent',
      });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/readable by group or others/);
    } finally {
      chmodSync(h.kekFile, 0o600);
    }
  });

  it('a KEK stored beside the data is refused at start-up', async () => {
    const h = homes[2]!;
    const beside = path.join(h.dir, 'kek.hex');
    copyFileSync(h.kekFile, beside);
    const res = await runCli(['signer', '--config', h.configFile], {
      SIGNER_KEK_FILE: beside,
      LOG_LEVEL: 'silent',
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/must not be stored beside the data/);
  });
});
