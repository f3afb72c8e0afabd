/**
 * Real signer processes for tests: `custody signer --config` in a child process with its own
 * SQLite file, its KEK in a separate directory, on an ephemeral loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignerClient } from '../../../src/api/signer/client.ts';
import { identifierForIdentityKey } from '../../../src/custody/frost/ceremony.ts';
import type { IdentityKey } from '../../../src/custody/identity.ts';
import { cleanEnv, ROOT } from '../../support/cli.ts';

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

export interface SignerProcess {
  url: string;
  identityKey: string;
  identifier: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  client: SignerClient;
  stop(): Promise<void>;
}

export function startSignerProcess(
  home: SignerHome,
  coordinator: IdentityKey,
): Promise<SignerProcess> {
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    ['src/cli.ts', 'signer', '--config', home.configFile],
    {
      cwd: ROOT,
      env: cleanEnv({ SIGNER_KEK_FILE: home.kekFile, LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`signer ${home.name} did not start: ${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (!out.includes('\n') || line === undefined) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; identityKey: string };
      const client = new SignerClient({
        url: info.url,
        identityKey: info.identityKey,
        coordinator,
      });
      resolve({
        ...info,
        identifier: identifierForIdentityKey(info.identityKey),
        child,
        exited,
        client,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`signer ${home.name} exited before listening: ${stderr}`));
    });
  });
}
