/**
 * The key files of `custody start`'s embedded default, all in $DATA_DIR/keys/ (mode 0700):
 * one key-encryption key per local signer (a stolen signer directory opens nothing, and one
 * signer's KEK opens no other signer's secrets) and the coordinator's identity key. Each file
 * is created 0600 and refused at load when group or others may read it.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type IdentityKey, identityFromSecret } from '../../custody/identity.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

export function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

/** The shared KEK earlier versions gave all three local signers; still read for their data. */
const LEGACY_SHARED_KEK = 'signer-kek.hex';

/**
 * The KEK file of local signer `name`: $DATA_DIR/keys/<name>-kek.hex, outside every signer's
 * directory, generated on first start. A signer whose data was sealed under the shared KEK of
 * an earlier version keeps it (its secrets open with nothing else), with a warning.
 */
export function localSignerKek(
  dataDir: string,
  name: string,
  signerDir: string,
  log: Logger,
): string {
  const own = path.join(keysDir(dataDir), `${name}-kek.hex`);
  const legacy = path.join(keysDir(dataDir), LEGACY_SHARED_KEK);
  if (!existsSync(own) && existsSync(legacy) && existsSync(path.join(signerDir, 'signer.db'))) {
    log.warn(
      { signer: name, kekFile: legacy },
      'this signer was created with the key-encryption key all local signers shared; recreate its data to give it a KEK of its own',
    );
    return requireOwnerOnly(legacy, 'SIGNER_KEK_FILE');
  }
  if (!existsSync(own)) writeSecretHex(own, crypto.getRandomValues(new Uint8Array(32)));
  return requireOwnerOnly(own, 'SIGNER_KEK_FILE');
}

/**
 * The coordinator's identity key (it signs every request to the signers), in
 * $DATA_DIR/keys/coordinator-identity.hex; created on first start.
 */
export function loadCoordinatorIdentity(dataDir: string): IdentityKey {
  const file = path.join(keysDir(dataDir), 'coordinator-identity.hex');
  if (!existsSync(file)) {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const identity = identityFromSecret(secret);
    writeSecretHex(file, secret);
    return identity;
  }
  const text = readFileSync(requireOwnerOnly(file, 'DATA_DIR'), 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new ConfigError('DATA_DIR', `${file}: expected 64 hex characters`);
  }
  return identityFromSecret(new Uint8Array(Buffer.from(text, 'hex')));
}

/** `file`, unless group or others may read or write it (a key file must be its owner's alone). */
export function requireOwnerOnly(file: string, setting: string): string {
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new ConfigError(setting, `${file} is readable by group or others (chmod 600 it)`);
  }
  return file;
}

function writeSecretHex(file: string, secret: Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${Buffer.from(secret).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
}
