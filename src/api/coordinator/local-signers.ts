/**
 * The embedded default of `custody start`: three signer processes (2-of-3) on this machine,
 * each with its own directory and database under $DATA_DIR/signers/<name>/, all sealing their
 * secrets under one key-encryption key that is kept outside those directories.
 *
 * In production each institution runs its own `custody signer`; this is for development and
 * demos, and it says so in the log.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type IdentityKey, identityFromSecret } from '../../custody/identity.ts';
import type { Logger } from '../../shared/logger.ts';
import { type LaunchedSigner, launchSigner } from '../signer/supervisor.ts';

export const LOCAL_SIGNER_NAMES = ['signer-1', 'signer-2', 'signer-3'] as const;
export const LOCAL_THRESHOLD = 2;

export interface LocalSignersOpts {
  dataDir: string;
  /** SIGNER_KEK_FILE, or undefined to use (and create) a development KEK. */
  kekFile: string | undefined;
  coordinator: IdentityKey;
  log: Logger;
}

export async function startLocalSigners(opts: LocalSignersOpts): Promise<LaunchedSigner[]> {
  const kekFile = opts.kekFile ?? developmentKek(opts.dataDir, opts.log);
  const launched: LaunchedSigner[] = [];
  try {
    for (const name of LOCAL_SIGNER_NAMES) {
      const dir = path.join(opts.dataDir, 'signers', name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const configFile = path.join(dir, 'signer.json');
      writeFileSync(
        configFile,
        `${JSON.stringify({ name, databaseUrl: 'file:./signer.db', coordinatorKeys: [opts.coordinator.publicKey] }, null, 2)}\n`,
      );
      launched.push(
        await launchSigner({
          configFile,
          env: signerEnv(kekFile),
          coordinator: opts.coordinator,
          stderr: 'inherit',
          exitWithParent: true,
        }),
      );
    }
    return launched;
  } catch (error) {
    await Promise.all(launched.map((s) => s.stop()));
    throw error;
  }
}

/**
 * A generated KEK for development, in $DATA_DIR/keys/ (outside every signer's directory, so a
 * copied signer directory alone opens nothing). Production sets SIGNER_KEK_FILE per signer.
 */
function developmentKek(dataDir: string, log: Logger): string {
  const file = path.join(dataDir, 'keys', 'signer-kek.hex');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const kek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
    writeFileSync(file, `${kek}\n`, { mode: 0o600, flag: 'wx' });
  }
  log.warn(
    { kekFile: file },
    'SIGNER_KEK_FILE is not set: the local signers use a generated development key-encryption key; set SIGNER_KEK_FILE in production',
  );
  return file;
}

/**
 * The coordinator's identity key (it signs every request to the signers), in
 * $DATA_DIR/keys/coordinator-identity.hex, readable by its owner only; created on first start.
 */
export function loadCoordinatorIdentity(dataDir: string): IdentityKey {
  const file = path.join(dataDir, 'keys', 'coordinator-identity.hex');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const identity = identityFromSecret(secret);
    writeFileSync(file, `${Buffer.from(secret).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return identity;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file}: expected 64 hex characters`);
  return identityFromSecret(new Uint8Array(Buffer.from(text, 'hex')));
}

/** The parent's environment minus the coordinator's own database and port settings. */
function signerEnv(kekFile: string): NodeJS.ProcessEnv {
  const { PORT: _port, DATABASE_URL: _db, ...rest } = process.env;
  return { ...rest, SIGNER_KEK_FILE: kekFile };
}
