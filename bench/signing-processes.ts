/** Signer processes for the signing benchmark: `custody signer` children on loopback. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LaunchedSigner, launchSigner } from '../src/api/signer/supervisor.ts';
import type { IdentityKey } from '../src/custody/identity.ts';
import { RAW_SIGNER_ENTRY } from '../test/support/raw-signing.ts';

export interface BenchSigner extends LaunchedSigner {
  dirs: string[];
  /** its SQLite database file */
  db: string;
}

export interface BenchSignerOpts {
  /** The product's verifying `custody signer` instead of the raw-rounds one. */
  verifying?: boolean;
  /** More settings for its config file (rollup, bitcoin, …). */
  config?: Record<string, unknown>;
}

export async function startBenchSigner(
  name: string,
  coordinator: IdentityKey,
  opts: BenchSignerOpts = {},
): Promise<BenchSigner> {
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  const kekDir = mkdtempSync(path.join(tmpdir(), `bench-kek-${name}-`));
  const kekFile = path.join(kekDir, 'kek.hex');
  writeFileSync(kekFile, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'), {
    mode: 0o600,
  });
  const configFile = path.join(dir, 'signer.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      name,
      databaseUrl: 'file:./signer.db',
      coordinatorKeys: [coordinator.publicKey],
      ...opts.config,
    }),
  );
  const signer = await launchSigner({
    configFile,
    env: { ...process.env, SIGNER_KEK_FILE: kekFile, LOG_LEVEL: 'warn' },
    coordinator,
    // The signing figures are the raw signing rounds (test messages, not settlements): those
    // signers run with the tests' in-process verifier; the settlement bench's verifying cases
    // run the product's.
    ...(opts.verifying ? {} : { entry: RAW_SIGNER_ENTRY }),
  });
  return Object.assign(signer, { dirs: [dir, kekDir], db: path.join(dir, 'signer.db') });
}

export async function stopBenchSigners(signers: BenchSigner[]): Promise<void> {
  await Promise.all(signers.map((s) => s.stop()));
  for (const s of signers) for (const d of s.dirs) rmSync(d, { recursive: true, force: true });
}
