/**
 * `custody start`'s embedded default, in process: three real signer processes (2-of-3), the
 * custody key established across them, /readyz reporting them, a signature through the
 * persisted session, and the same key found again after a restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningCoordinator, startCoordinator } from '../../../src/api/coordinator/server.ts';
import { parseConfig } from '../../../src/shared/config.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { verifyAuditLog } from '../../../src/store/audit-log.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configFor(scheme: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'custody-start-'));
  dirs.push(dataDir);
  return parseConfig({ DATA_DIR: dataDir, PORT: '0', CUSTODY_SCHEME: scheme });
}

describe('custody start with local signers', () => {
  it('establishes a FROST 2-of-3 key, reports ready, signs, and keeps the key across a restart', async () => {
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
      expect(key.descriptor).toMatch(/^tr\([0-9a-f]{64}\)$/);

      const message = new Uint8Array(32).fill(1);
      const { signature } = await running.custody.sign(message, 'proposal-a');
      const xOnly = key.scriptPubKey.slice(6);
      expect(
        schnorr.verify(Buffer.from(signature.slice(2), 'hex'), message, Buffer.from(xOnly, 'hex')),
      ).toBe(true);
      expect((await verifyAuditLog(running.store.db)).ok).toBe(true);

      // No secret in the coordinator's database: only public material was recorded.
      const dbFile = readFileSync(path.join(config.dataDir, 'custody.db'));
      expect(dbFile.includes(Buffer.from('signingShare'))).toBe(false);

      await running.close();
      running = await startCoordinator(config, log, 't');
      expect(running.custody.key.id).toBe(key.id);
      const again = await running.custody.sign(new Uint8Array(32).fill(2), 'proposal-b');
      expect(again.signature).toMatch(/^0x[0-9a-f]{128}$/);
    } finally {
      await running?.close();
    }
  });

  it.each(['multisig-p2wsh', 'multisig-tapscript'])(
    'establishes a %s 2-of-3 key and signs',
    async (scheme) => {
      const running = await startCoordinator(configFor(scheme), log, 't');
      try {
        expect(running.custody.key.descriptor).toMatch(
          scheme === 'multisig-p2wsh' ? /^wsh\(sortedmulti\(2,/ : /^tr\(50929b74/,
        );
        const { signature } = await running.custody.sign(new Uint8Array(32).fill(3), 'proposal-m');
        expect(Object.keys(JSON.parse(signature))).toHaveLength(2);
      } finally {
        await running.close();
      }
    },
  );
});
