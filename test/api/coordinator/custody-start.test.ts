/**
 * `custody start`'s embedded default, in process: three real signer processes (2-of-3), the
 * custody key established across them, /readyz reporting them, a signature through the
 * persisted session, and the same key found again after a restart.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningCoordinator, startCoordinator } from '../../../src/api/coordinator/server.ts';
import { readKek } from '../../../src/api/signer/config.ts';
import { loadFrostKey } from '../../../src/api/signer/vault.ts';
import { openAtRest } from '../../../src/custody/at-rest.ts';
import { parseConfig } from '../../../src/shared/config.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { verifyAuditLog } from '../../../src/store/audit-log.ts';
import { openStore } from '../../../src/store/store.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configFor(scheme: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'custody-start-'));
  dirs.push(dataDir);
  return parseConfig({ DATA_DIR: dataDir, PORT: '0', CUSTODY_SCHEME: scheme, ...env });
}

const NAMES = ['signer-1', 'signer-2', 'signer-3'];

/** Each local signer's FROST share of `keyId` and identity secret, opened with its own KEK. */
async function signerSecrets(dataDir: string, keyId: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const name of NAMES) {
    const kek = readKek(path.join(dataDir, 'keys', `${name}-kek.hex`));
    const file = path.join(dataDir, 'signers', name, 'signer.db');
    const store = await openStore({ databaseUrl: `file:${file}` });
    try {
      const { share } = await loadFrostKey(store.db, kek, keyId);
      out.push(Buffer.from(share.signingShare.slice(2), 'hex'));
      const identity = await store.db.signerIdentity.findUniqueOrThrow({ where: { id: 1 } });
      out.push(Buffer.from(openAtRest(kek, 'identity', identity.sealedSecret)));
    } finally {
      await store.close();
    }
  }
  return out;
}

/** Each local signer's sealed identity key, read from its own database. */
async function sealedIdentities(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of NAMES) {
    const file = path.join(dataDir, 'signers', name, 'signer.db');
    const store = await openStore({ databaseUrl: `file:${file}` });
    try {
      out.push(
        (await store.db.signerIdentity.findUniqueOrThrow({ where: { id: 1 } })).sealedSecret,
      );
    } finally {
      await store.close();
    }
  }
  return out;
}

describe('custody start with local signers', () => {
  it('establishes a FROST 2-of-3 key, reports ready, refuses a raw message, and keeps the key across a restart', async () => {
    const config = configFor('frost');
    let running: RunningCoordinator | undefined = await startCoordinator(config, log, 't');
    try {
      const ready = await (await fetch(`${running.url}/readyz`)).json();
      expect(ready).toMatchObject({
        status: 'ready',
        checks: {
          signers: { ok: true, detail: '3 of 3 reachable, 2 needed' },
          'custody-key': { ok: true },
          'world-state': {
            ok: true,
            detail: expect.stringMatching(/^height 0, root 0x[0-9a-f]{64}$/),
          },
        },
      });
      const key = running.custody.key;
      expect(key).toMatchObject({
        scheme: 'frost',
        threshold: 2,
        signerNames: ['signer-1', 'signer-2', 'signer-3'],
      });
      expect(key.descriptor).toMatch(/^rawtr\([0-9a-f]{64}\)#[0-9a-z]{8}$/);

      // The local signers are the product's: a message that names no settlement is refused by
      // each, with its reason (settlements they rebuild are signed: regtest-chain, offline).
      await expect(running.custody.sign(new Uint8Array(32).fill(1), 'proposal-a')).rejects.toThrow(
        /fewer than 2 eligible signers remain \(.*signer-\d: .*raw-message: the request names no settlement/,
      );
      expect((await verifyAuditLog(running.store.db)).ok).toBe(true);

      await running.close();
      // No secret in the coordinator's database (its file and WAL): none of the signers' key
      // shares or identity keys, in any encoding, only public material.
      const secrets = await signerSecrets(config.dataDir, key.id);
      expect(secrets).toHaveLength(6);
      const files = readdirSync(config.dataDir).filter((f) => f.startsWith('custody.db'));
      for (const file of files) {
        const bytes = readFileSync(path.join(config.dataDir, file));
        for (const secret of secrets) {
          for (const form of [
            secret,
            Buffer.from(secret.toString('hex')),
            Buffer.from(`0x${secret.toString('hex')}`),
          ]) {
            expect(bytes.includes(form), `${file} holds a signer secret`).toBe(false);
          }
        }
      }

      running = await startCoordinator(config, log, 't');
      expect(running.custody.key.id).toBe(key.id);
      expect(running.custody.key.groupKey).toEqual(key.groupKey);
    } finally {
      await running?.close();
    }
  });

  it.each(['multisig-p2wsh', 'multisig-tapscript'])(
    'establishes a %s 2-of-3 key whose signers refuse a raw message',
    async (scheme) => {
      const running = await startCoordinator(configFor(scheme), log, 't');
      try {
        expect(running.custody.key.descriptor).toMatch(
          scheme === 'multisig-p2wsh' ? /^wsh\(sortedmulti\(2,/ : /^tr\(50929b74/,
        );
        await expect(
          running.custody.sign(new Uint8Array(32).fill(3), 'proposal-m'),
        ).rejects.toThrow(/signer-\d: .*raw-message: /);
      } finally {
        await running.close();
      }
    },
  );

  it("one KEK for the whole quorum: each local signer's secrets open under its own KEK and under no other signer's", async () => {
    const config = configFor('multisig-p2wsh');
    const running = await startCoordinator(config, log, 't');
    await running.close();
    const keks = NAMES.map((name) => readKek(path.join(config.dataDir, 'keys', `${name}-kek.hex`)));
    const sealed = await sealedIdentities(config.dataDir);
    sealed.forEach((secret, i) => {
      keks.forEach((kek, j) => {
        const open = () => openAtRest(kek, 'identity', secret);
        if (i === j) expect(open).not.toThrow();
        else expect(open, `${NAMES[i]} under ${NAMES[j]}'s KEK`).toThrow(/does not open/);
      });
    });
  });

  it('one KEK for the whole quorum: SIGNER_KEK_FILE for all three local signers is refused', async () => {
    const kekDir = mkdtempSync(path.join(tmpdir(), 'custody-start-kek-'));
    dirs.push(kekDir);
    const kekFile = path.join(kekDir, 'kek.hex');
    writeFileSync(kekFile, 'ab'.repeat(32), { mode: 0o600 });
    await expect(
      startCoordinator(configFor('frost', { SIGNER_KEK_FILE: kekFile }), log, 't'),
    ).rejects.toThrow(/SIGNER_KEK_FILE: is one signer's key-encryption key/);
  });
});
