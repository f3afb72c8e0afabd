/**
 * The key files of `custody start`'s local quorum, on a real data directory: one KEK per
 * signer, outside every signer's directory, 0600; the coordinator's identity key 0600; key
 * files that group or others may read are refused at load.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadCoordinatorIdentity,
  localSignerKek,
} from '../../../src/api/coordinator/local-keys.ts';
import { createLogger } from '../../../src/shared/logger.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'local-keys-'));
  dirs.push(dir);
  return dir;
}

const signerDir = (data: string, name: string) => path.join(data, 'signers', name);
const mode = (file: string) => statSync(file).mode & 0o777;

describe('local key files', () => {
  it('one KEK for the whole quorum: every local signer gets its own, 0600, outside every signer directory', () => {
    const data = dataDir();
    const files = ['signer-1', 'signer-2', 'signer-3'].map((name) =>
      localSignerKek(data, name, signerDir(data, name), log),
    );
    expect(new Set(files).size).toBe(3);
    expect(new Set(files.map((f) => readFileSync(f, 'utf8'))).size).toBe(3);
    for (const file of files) {
      expect(mode(file)).toBe(0o600);
      expect(path.relative(path.join(data, 'signers'), file)).toMatch(/^\.\./);
    }
    expect(mode(path.join(data, 'keys'))).toBe(0o700);
    // Found again on the next start, not regenerated.
    const kek = readFileSync(files[1]!, 'utf8');
    expect(localSignerKek(data, 'signer-2', signerDir(data, 'signer-2'), log)).toBe(files[1]);
    expect(readFileSync(files[1]!, 'utf8')).toBe(kek);
  });

  it('a signer KEK readable by group or others is refused at load', () => {
    const data = dataDir();
    const file = localSignerKek(data, 'signer-1', signerDir(data, 'signer-1'), log);
    chmodSync(file, 0o640);
    expect(() => localSignerKek(data, 'signer-1', signerDir(data, 'signer-1'), log)).toThrow(
      /readable by group or others/,
    );
  });

  it('coordinator identity key readable by others is refused at load; 0600 is created and reloaded', () => {
    const data = dataDir();
    const identity = loadCoordinatorIdentity(data);
    const file = path.join(data, 'keys', 'coordinator-identity.hex');
    expect(mode(file)).toBe(0o600);
    expect(loadCoordinatorIdentity(data).publicKey).toBe(identity.publicKey);
    chmodSync(file, 0o644);
    expect(() => loadCoordinatorIdentity(data)).toThrow(/readable by group or others/);
  });

  it('a signer created under the shared KEK of earlier versions keeps it; new signers get their own', () => {
    const data = dataDir();
    const legacy = path.join(data, 'keys', 'signer-kek.hex');
    mkdirSync(path.dirname(legacy), { recursive: true, mode: 0o700 });
    writeFileSync(legacy, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    mkdirSync(signerDir(data, 'signer-1'), { recursive: true });
    writeFileSync(path.join(signerDir(data, 'signer-1'), 'signer.db'), '');
    expect(localSignerKek(data, 'signer-1', signerDir(data, 'signer-1'), log)).toBe(legacy);
    expect(localSignerKek(data, 'signer-2', signerDir(data, 'signer-2'), log)).not.toBe(legacy);
  });
});
