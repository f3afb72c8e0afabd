/** Signer processes for the signing benchmark: `custody signer` children on loopback. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignerClient } from '../src/api/signer/client.ts';
import type { Member } from '../src/api/signer/driver.ts';
import { identifierForIdentityKey } from '../src/custody/frost/ceremony.ts';
import type { IdentityKey } from '../src/custody/identity.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface BenchSigner extends Member {
  identityKey: string;
  child: ChildProcess;
  dirs: string[];
}

export async function startBenchSigner(
  name: string,
  coordinator: IdentityKey,
): Promise<BenchSigner> {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  const kekDir = mkdtempSync(path.join(tmpdir(), `bench-kek-${name}-`));
  const kekFile = path.join(kekDir, 'kek.hex');
  writeFileSync(kekFile, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'));
  const configFile = path.join(dir, 'signer.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      name,
      databaseUrl: 'file:./signer.db',
      coordinatorKeys: [coordinator.publicKey],
    }),
  );
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    ['src/cli.ts', 'signer', '--config', configFile],
    {
      cwd: ROOT,
      env: { ...process.env, SIGNER_KEK_FILE: kekFile, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`signer ${name} exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url: string; identityKey: string };
  return {
    client: new SignerClient({ url: info.url, identityKey: info.identityKey, coordinator }),
    identifier: identifierForIdentityKey(info.identityKey),
    identityKey: info.identityKey,
    child,
    dirs: [dir, kekDir],
  };
}

export async function stopBenchSigners(signers: BenchSigner[]): Promise<void> {
  await Promise.all(
    signers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null) return resolve();
          s.child.once('exit', () => resolve());
          s.child.kill('SIGTERM');
        }),
    ),
  );
  for (const s of signers) for (const d of s.dirs) rmSync(d, { recursive: true, force: true });
}
