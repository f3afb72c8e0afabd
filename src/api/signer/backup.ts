/**
 * A signer's backup kits on its own store (`custody backup export|restore`): the kit holds a
 * FROST share and the signer's identity key, so a restore works on a signer that kept its
 * database (a lost or corrupted share) and on one that lost it (an empty database): the
 * identity comes back with the share, and the signer is again the participant the coordinator
 * and the other signers know.
 */

import { sealJson } from '../../custody/at-rest.ts';
import { type BackupShard, runBackupExport, runBackupRestore } from '../../custody/backup/kit.ts';
import { BackupMismatchError } from '../../custody/errors.ts';
import { outputKeyXOnly, parseGroupKey, type WireGroupKey } from '../../custody/frost/wire.ts';
import { InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import type { Db } from '../../store/store.ts';
import { loadFrostKey, loadIdentity, storeFrostKey, storeIdentity } from './vault.ts';

export async function exportKit(
  db: Db,
  kek: Uint8Array,
  opts: { keyId: string; threshold: number; total: number },
): Promise<BackupShard[]> {
  const key = await loadFrostKey(db, kek, opts.keyId);
  const identity = await loadIdentity(db, kek);
  if (!identity) throw new NotFoundError('this signer has no identity key');
  const { shards } = await runBackupExport({
    share: key.share,
    identity,
    threshold: opts.threshold,
    total: opts.total,
  });
  identity.secretKey.fill(0);
  return shards;
}

export interface RestoreKitOpts {
  keyId: string;
  shards: BackupShard[];
  /**
   * The key's public group key when this signer no longer has it (a lost database): from the
   * coordinator's records, never from the kit, since the restore is checked against it.
   */
  groupKey?: unknown;
}

/**
 * Restores the share (and, on an empty database, the identity) in one transaction, or writes
 * nothing: a kit from another signer, a wrong reconstruction or a share that does not match
 * the key's verifying share is refused.
 */
export async function restoreKit(
  db: Db,
  kek: Uint8Array,
  opts: RestoreKitOpts,
): Promise<{ identifier: string; identityKey: string; identityRestored: boolean }> {
  const row = await db.signerKey.findUnique({ where: { id: opts.keyId } });
  const groupKey = groupKeyFor(opts, row?.publicInfo);
  const header = opts.shards[0];
  if (header === undefined) throw new InvalidInputError('shards: none given', { field: 'shards' });
  const current = await loadIdentity(db, kek);
  // A kit from another signer would make two signers hold one share: refuse it.
  if (current && current.publicKey !== header.identityKey) {
    throw new BackupMismatchError(
      "shards are another signer's kit, not this signer's (a signer started on an empty database before its restore has a new identity: restore into an empty database)",
    );
  }
  const expectedVerifyingShare = groupKey.verifyingShares[header.identifier];
  if (expectedVerifyingShare === undefined) {
    throw new InvalidInputError('shards: their identifier is not a participant of this key');
  }
  const { share, identity } = await runBackupRestore({
    shards: opts.shards,
    expectedVerifyingShare,
  });
  await db.$transaction(async (tx) => {
    if (!current) await storeIdentity(tx as Db, kek, identity);
    if (row) {
      await tx.signerKey.update({
        where: { id: opts.keyId },
        data: { sealedSecret: sealJson(kek, `key:${opts.keyId}`, share) },
      });
    } else {
      const outputKey = outputKeyXOnly(groupKey);
      await storeFrostKey(tx as Db, kek, { keyId: opts.keyId, groupKey, share, outputKey });
    }
  });
  identity.secretKey.fill(0);
  current?.secretKey.fill(0);
  return {
    identifier: share.identifier,
    identityKey: identity.publicKey,
    identityRestored: !current,
  };
}

function groupKeyFor(opts: RestoreKitOpts, stored: string | undefined): WireGroupKey {
  const source = stored === undefined ? opts.groupKey : JSON.parse(stored);
  if (source === undefined) {
    throw new NotFoundError(
      `key ${opts.keyId} is not on this signer: pass --group-key with its public group key`,
    );
  }
  return parseGroupKey(source);
}
