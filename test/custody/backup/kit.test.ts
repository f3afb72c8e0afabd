import { describe, expect, it } from 'vitest';
import {
  parseBackupShard,
  runBackupExport,
  runBackupRestore,
} from '../../../src/custody/backup/kit.ts';
import { BackupMismatchError } from '../../../src/custody/errors.ts';
import { overTheWire } from '../fixtures.ts';
import { runFullDkg } from '../helpers.ts';

const dkg = runFullDkg(2, 3);
const [mine, theirs] = dkg.results;
const [myIdentity, theirIdentity] = dkg.identities;
const expectedVerifyingShare = mine!.groupKey.verifyingShares[mine!.share.identifier]!;

describe('backup kits (3-of-5 shards of an encrypted key share)', () => {
  it('any 3 shards restore the share, checked against the stored public share', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 3,
      total: 5,
    });
    const parsed = shards.map((s) => parseBackupShard(overTheWire(s)));
    for (const pick of [
      [0, 1, 2],
      [1, 3, 4],
      [0, 2, 4],
    ]) {
      const { share, identity } = await runBackupRestore({
        shards: pick.map((i) => parsed[i]!),
        expectedVerifyingShare,
      });
      expect(share).toEqual(mine!.share);
      expect(identity.publicKey).toBe(myIdentity!.publicKey);
      expect(identity.secretKey).toEqual(myIdentity!.secretKey);
    }
  });

  it('no shard, nor the kit as a whole below threshold, contains the share or the identity secret', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 3,
      total: 5,
    });
    expect(JSON.stringify(shards)).not.toContain(mine!.share.signingShare.slice(2));
    expect(JSON.stringify(shards)).not.toContain(
      Buffer.from(myIdentity!.secretKey).toString('hex'),
    );
    expect(shards[0]).toMatchObject({ version: 2, identityKey: myIdentity!.publicKey });
  });

  it('a kit whose header was rewritten to name another identity key is refused', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 2,
      total: 3,
    });
    const relabelled = shards
      .slice(0, 2)
      .map((s) => ({ ...s, identityKey: theirIdentity!.publicKey }));
    await expect(runBackupRestore({ shards: relabelled, expectedVerifyingShare })).rejects.toThrow(
      BackupMismatchError,
    );
  });

  it('a version 1 kit (no identity key) is refused with a clear error', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 2,
      total: 3,
    });
    expect(() => parseBackupShard({ ...shards[0]!, version: 1 })).toThrow(
      /version 1 kit lacks the identity key/,
    );
  });

  it('wrong backup reconstruction: a corrupted shard is refused, not restored as a wrong key', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 2,
      total: 3,
    });
    const corrupt = {
      ...shards[1]!,
      shard: `${shards[1]!.shard.slice(0, 10)}ff${shards[1]!.shard.slice(12)}`,
    };
    await expect(
      runBackupRestore({ shards: [shards[0]!, corrupt], expectedVerifyingShare }),
    ).rejects.toThrow(BackupMismatchError);
  });

  it('wrong backup reconstruction: shards mixed from two kits are refused', async () => {
    const a = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 2,
      total: 3,
    });
    const b = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 2,
      total: 3,
    });
    await expect(
      runBackupRestore({
        shards: [a.shards[0]!, { ...b.shards[1]!, kitId: a.shards[0]!.kitId }],
        expectedVerifyingShare,
      }),
    ).rejects.toThrow(BackupMismatchError);
  });

  it('wrong backup reconstruction: another signer kit is refused by the public-share check', async () => {
    const { shards } = await runBackupExport({
      share: theirs!.share,
      identity: theirIdentity!,
      threshold: 2,
      total: 3,
    });
    await expect(
      runBackupRestore({ shards: shards.slice(0, 2), expectedVerifyingShare }),
    ).rejects.toThrow(BackupMismatchError);
  });

  it('a kit whose header was rewritten to claim our public share is refused', async () => {
    const { shards } = await runBackupExport({
      share: theirs!.share,
      identity: theirIdentity!,
      threshold: 2,
      total: 3,
    });
    const relabelled = shards
      .slice(0, 2)
      .map((s) => ({ ...s, verifyingShare: expectedVerifyingShare }));
    await expect(runBackupRestore({ shards: relabelled, expectedVerifyingShare })).rejects.toThrow(
      BackupMismatchError,
    );
  });

  it('fewer shards than the threshold are refused before combining', async () => {
    const { shards } = await runBackupExport({
      share: mine!.share,
      identity: myIdentity!,
      threshold: 3,
      total: 5,
    });
    await expect(
      runBackupRestore({ shards: shards.slice(0, 2), expectedVerifyingShare }),
    ).rejects.toThrow(/need 3/);
  });
});
