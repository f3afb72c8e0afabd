/**
 * Backup kits: a signer's key share and its identity key, encrypted under a fresh backup key
 * (AES-256-GCM), with the backup key split k-of-m over GF(2^8) (`shamir-secret-sharing`). Each
 * shard is self-contained (header, ciphertext, one key shard) and reveals nothing alone; any k
 * restore the share and the identity, so a signer that lost its whole database comes back as
 * itself (the coordinator and the other signers know it by its identity key and identifier).
 *
 * GF(2^8) Shamir cannot tell a wrong reconstruction from a right one (mixed kits, a corrupted
 * shard), so restore refuses unless (1) the ciphertext authenticates under the rebuilt key with
 * the header as associated data, (2) the recovered share's public point equals the public
 * verifying share of the key (from the signer's records or the coordinator's, never from the
 * kit) and (3) the recovered identity key is the one the header names.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { combine, split } from 'shamir-secret-sharing';
import { InvalidInputError } from '../../shared/errors.ts';
import { canonicalJson } from '../canonical.ts';
import { BackupMismatchError } from '../errors.ts';
import { type Hex, parseKeyShare, type WireKeyShare } from '../frost/wire.ts';
import { type IdentityKey, identityFromSecret, parseIdentityKey } from '../identity.ts';
import { expectHex, expectInteger, expectObject, hexToBytes, toHex } from '../wire-check.ts';

export interface BackupShardHeader {
  version: 2;
  kitId: string;
  identifier: Hex;
  /** The backed-up signer's identity public key (compressed). */
  identityKey: Hex;
  /** Public point of the backed-up share: what a restore is checked against. */
  verifyingShare: Hex;
  threshold: number;
  total: number;
}

export interface BackupShard extends BackupShardHeader {
  nonce: Hex;
  ciphertext: Hex;
  shard: Hex;
}

export interface BackupExportOpts {
  share: WireKeyShare;
  /** The signer's identity key, backed up with the share. */
  identity: IdentityKey;
  /** Shards needed to restore (k). */
  threshold: number;
  /** Shards produced (m). */
  total: number;
}

export interface BackupExportResult {
  shards: BackupShard[];
}

export async function runBackupExport(opts: BackupExportOpts): Promise<BackupExportResult> {
  const { share, threshold, total } = opts;
  expectInteger(total, 'total', 2, 255);
  expectInteger(threshold, 'threshold', 2, total);
  const secret = hexToBytes(share.signingShare);
  const header: BackupShardHeader = {
    version: 2,
    kitId: toHex(crypto.getRandomValues(new Uint8Array(16))),
    identifier: share.identifier,
    identityKey: opts.identity.publicKey,
    verifyingShare: toHex(secp256k1.getPublicKey(secret, true)),
    threshold,
    total,
  };
  secret.fill(0);
  const backupKey = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(
    canonicalJson({ share: { ...share }, identity: toHex(opts.identity.secretKey) }),
  );
  const ciphertext = gcm(backupKey, nonce, headerBytes(header)).encrypt(plaintext);
  plaintext.fill(0);
  const keyShards = await split(backupKey, total, threshold);
  backupKey.fill(0);
  return {
    shards: keyShards.map((s) => ({
      ...header,
      nonce: toHex(nonce),
      ciphertext: toHex(ciphertext),
      shard: toHex(s),
    })),
  };
}

export interface BackupRestoreOpts {
  shards: BackupShard[];
  /** The verifying share the signer holds for its identifier (from the group key it stores). */
  expectedVerifyingShare: Hex;
}

export interface BackupRestoreResult {
  share: WireKeyShare;
  identity: IdentityKey;
}

export async function runBackupRestore(opts: BackupRestoreOpts): Promise<BackupRestoreResult> {
  const [first, ...rest] = opts.shards;
  if (first === undefined) throw new InvalidInputError('shards: none given', { field: 'shards' });
  const header = headerOf(first);
  for (const s of rest) {
    if (
      canonicalJson({ ...headerOf(s), n: s.nonce, c: s.ciphertext }) !==
      canonicalJson({ ...header, n: first.nonce, c: first.ciphertext })
    ) {
      throw new BackupMismatchError('shards come from different kits');
    }
  }
  if (new Set(opts.shards.map((s) => s.shard)).size < header.threshold) {
    throw new InvalidInputError(`shards: need ${header.threshold} distinct shards`, {
      field: 'shards',
    });
  }
  if (header.verifyingShare !== opts.expectedVerifyingShare) {
    throw new BackupMismatchError('kit is for another key share than the one this signer holds');
  }
  const backupKey = await combine(opts.shards.map((s) => hexToBytes(s.shard)));
  let plaintext: Uint8Array;
  try {
    plaintext = gcm(backupKey, hexToBytes(first.nonce), headerBytes(header)).decrypt(
      hexToBytes(first.ciphertext),
    );
  } catch {
    throw new BackupMismatchError('reconstruction is wrong: the shards do not rebuild this kit');
  } finally {
    backupKey.fill(0);
  }
  const { share, identity } = parseKitContent(plaintext);
  plaintext.fill(0);
  const secret = hexToBytes(share.signingShare);
  const point = toHex(secp256k1.getPublicKey(secret, true));
  secret.fill(0);
  if (point !== opts.expectedVerifyingShare || share.identifier !== header.identifier) {
    throw new BackupMismatchError('restored share does not match the stored public share');
  }
  if (identity.publicKey !== header.identityKey) {
    throw new BackupMismatchError('restored identity key does not match the kit header');
  }
  return { share, identity };
}

function parseKitContent(plaintext: Uint8Array): { share: WireKeyShare; identity: IdentityKey } {
  const o = expectObject(JSON.parse(new TextDecoder().decode(plaintext)), 'restored kit');
  const share = parseKeyShare(o.share, 'restored share');
  const identity = identityFromSecret(hexToBytes(expectHex(o.identity, 'restored identity', 32)));
  return { share, identity };
}

function headerOf(s: BackupShard): BackupShardHeader {
  return {
    version: s.version,
    kitId: s.kitId,
    identifier: s.identifier,
    identityKey: s.identityKey,
    verifyingShare: s.verifyingShare,
    threshold: s.threshold,
    total: s.total,
  };
}

function headerBytes(header: BackupShardHeader): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ ...header }));
}

export function parseBackupShard(value: unknown, field = 'shard'): BackupShard {
  const o = expectObject(value, field);
  if (o.version !== 2) {
    // Version 1 kits lack the identity key, without which a lost signer cannot come back.
    throw new InvalidInputError(
      `${field}.version: expected 2 (a version 1 kit lacks the identity key: export a new kit)`,
      { field },
    );
  }
  const total = expectInteger(o.total, `${field}.total`, 2, 255);
  return {
    version: 2,
    kitId: expectHex(o.kitId, `${field}.kitId`, 16),
    identifier: expectHex(o.identifier, `${field}.identifier`, 32),
    identityKey: parseIdentityKey(o.identityKey, `${field}.identityKey`),
    verifyingShare: expectHex(o.verifyingShare, `${field}.verifyingShare`, 33),
    threshold: expectInteger(o.threshold, `${field}.threshold`, 2, total),
    total,
    nonce: expectHex(o.nonce, `${field}.nonce`, 12),
    ciphertext: expectHex(o.ciphertext, `${field}.ciphertext`),
    shard: expectHex(o.shard, `${field}.shard`, 33),
  };
}
