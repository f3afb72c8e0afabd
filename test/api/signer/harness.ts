/**
 * Real signer processes for tests: `custody signer --config` in a child process with its own
 * SQLite file, its KEK in a separate directory, on an ephemeral loopback port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LaunchedSigner, launchSigner } from '../../../src/api/signer/supervisor.ts';
import type { IdentityKey } from '../../../src/custody/identity.ts';
import { cleanEnv } from '../../support/cli.ts';
import { RAW_SIGNER_ENTRY } from '../../support/raw-signing.ts';

export interface SignerHome {
  name: string;
  dir: string;
  configFile: string;
  kekFile: string;
}

export function makeSignerHome(
  name: string,
  coordinatorKey: string,
  extra: Record<string, unknown> = {},
): SignerHome {
  const dir = mkdtempSync(path.join(tmpdir(), `signer-${name}-`));
  const kekDir = mkdtempSync(path.join(tmpdir(), `kek-${name}-`));
  const kekFile = path.join(kekDir, 'kek.hex');
  writeFileSync(kekFile, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'), {
    mode: 0o600,
  });
  const configFile = path.join(dir, 'signer.json');
  writeSignerConfig({ name, dir, configFile, kekFile }, coordinatorKey, extra);
  return { name, dir, configFile, kekFile };
}

export function writeSignerConfig(
  home: SignerHome,
  coordinatorKey: string,
  extra: Record<string, unknown> = {},
): void {
  writeFileSync(
    home.configFile,
    JSON.stringify({
      name: home.name,
      databaseUrl: 'file:./signer.db',
      coordinatorKeys: [coordinatorKey],
      ...extra,
    }),
  );
}

export function removeHome(home: SignerHome): void {
  rmSync(home.dir, { recursive: true, force: true });
  rmSync(path.dirname(home.kekFile), { recursive: true, force: true });
}

export type SignerProcess = LaunchedSigner;

/**
 * A signer process. `raw` (the default here, for the raw signing rounds these tests drive) runs
 * it with the tests' in-process verifier (test/support/raw-signing.ts); `verifying` runs the
 * product's `custody signer`, which signs only settlements it rebuilt.
 */
export function startSignerProcess(
  home: SignerHome,
  coordinator: IdentityKey,
  mode: 'raw' | 'verifying' = 'raw',
): Promise<SignerProcess> {
  return launchSigner({
    configFile: home.configFile,
    env: cleanEnv({ SIGNER_KEK_FILE: home.kekFile, LOG_LEVEL: 'error' }),
    coordinator,
    stderr: 'capture',
    ...(mode === 'raw' ? { entry: RAW_SIGNER_ENTRY } : {}),
  });
}

export interface SignerFleet {
  coordinator: IdentityKey;
  homes: SignerHome[];
  /** Started before the file's tests; an entry may be replaced by a restarted process. */
  procs: SignerProcess[];
}

/** `count` signer processes named `<prefix>1..n` for the enclosing file, stopped and removed after it. */
export function useSignerFleet(
  prefix: string,
  count: number,
  coordinator: IdentityKey,
  /** More settings for every signer's config file (dealerKeys, …). */
  extra: Record<string, unknown> = {},
): SignerFleet {
  const fleet: SignerFleet = { coordinator, homes: [], procs: [] };
  beforeAll(async () => {
    for (let i = 0; i < count; i++) {
      fleet.homes.push(makeSignerHome(`${prefix}${i + 1}`, coordinator.publicKey, extra));
    }
    fleet.procs.push(
      ...(await Promise.all(fleet.homes.map((h) => startSignerProcess(h, coordinator)))),
    );
  });
  afterAll(async () => {
    await Promise.all(fleet.procs.map((p) => p.stop()));
    for (const h of fleet.homes) removeHome(h);
  });
  return fleet;
}
