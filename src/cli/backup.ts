import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadSignerConfig } from '../api/signer/config.ts';
import { loadFrostKey, storeFrostKey } from '../api/signer/vault.ts';
import { sealJson } from '../custody/at-rest.ts';
import { parseBackupShard, runBackupExport, runBackupRestore } from '../custody/backup/kit.ts';
import { BackupMismatchError } from '../custody/errors.ts';
import { identifierForIdentityKey } from '../custody/frost/ceremony.ts';
import { outputKeyXOnly, parseGroupKey } from '../custody/frost/wire.ts';
import { InvalidInputError, NotFoundError } from '../shared/errors.ts';
import { openStore } from '../store/store.ts';

/**
 * `custody backup export|restore`: a signer's FROST share as k-of-m recovery shards (one JSON
 * file each, to be handed to different custodians), and its restore, refused unless the
 * rebuilt share matches the public verifying share of the key.
 */
export function register(program: Command): void {
  const backup = program.command('backup').description("a signer's key-share backup kits");
  backup
    .command('export')
    .description('write k-of-m recovery shards of a key share')
    .requiredOption('--config <file>', 'the signer settings file')
    .requiredOption('--key <keyId>', 'the key to back up')
    .requiredOption('--threshold <k>', 'shards needed to restore', Number)
    .requiredOption('--shards <m>', 'shards to write', Number)
    .requiredOption('--out <dir>', 'directory for the shard files')
    .action(
      async (opts: {
        config: string;
        key: string;
        threshold: number;
        shards: number;
        out: string;
      }) => {
        const config = loadSignerConfig(opts.config, process.env);
        const store = await openStore({ databaseUrl: config.databaseUrl });
        try {
          const key = await loadFrostKey(store.db, config.kek, opts.key);
          const { shards } = await runBackupExport({
            share: key.share,
            threshold: opts.threshold,
            total: opts.shards,
          });
          mkdirSync(opts.out, { recursive: true });
          const files = shards.map((s, i) => {
            const file = path.resolve(
              opts.out,
              `${opts.key}-shard-${i + 1}-of-${shards.length}.json`,
            );
            writeFileSync(file, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
            return file;
          });
          process.stdout.write(
            `${JSON.stringify({ keyId: opts.key, kitId: shards[0]?.kitId, threshold: opts.threshold, files })}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
  backup
    .command('restore')
    .description('restore a key share from shard files (verified against the public share)')
    .requiredOption('--config <file>', 'the signer settings file')
    .requiredOption('--key <keyId>', 'the key to restore')
    .option('--group-key <file>', 'public group key JSON, when this signer no longer has the key')
    .argument('<shards...>', 'shard files')
    .action(async (files: string[], opts: { config: string; key: string; groupKey?: string }) => {
      const config = loadSignerConfig(opts.config, process.env);
      const store = await openStore({ databaseUrl: config.databaseUrl });
      try {
        const row = await store.db.signerKey.findUnique({ where: { id: opts.key } });
        const groupKeySource = row
          ? JSON.parse(row.publicInfo)
          : opts.groupKey
            ? JSON.parse(readFileSync(opts.groupKey, 'utf8'))
            : undefined;
        if (groupKeySource === undefined) {
          throw new NotFoundError(
            `key ${opts.key} is not on this signer: pass --group-key with its public group key`,
          );
        }
        const groupKey = parseGroupKey(groupKeySource);
        const shards = files.map((f, i) =>
          parseBackupShard(JSON.parse(readFileSync(f, 'utf8')), `shards[${i}]`),
        );
        const identifier = shards[0]?.identifier ?? '';
        // A kit from another signer would make two signers hold one share: refuse it.
        const me = await store.db.signerIdentity.findUnique({ where: { id: 1 } });
        if (!me || identifierForIdentityKey(me.publicKey) !== identifier) {
          throw new BackupMismatchError("shards are another signer's kit, not this signer's");
        }
        const expectedVerifyingShare = groupKey.verifyingShares[identifier];
        if (expectedVerifyingShare === undefined) {
          throw new InvalidInputError('shards: their identifier is not a participant of this key');
        }
        const { share } = await runBackupRestore({ shards, expectedVerifyingShare });
        if (row) {
          await store.db.signerKey.update({
            where: { id: opts.key },
            data: { sealedSecret: sealJson(config.kek, `key:${opts.key}`, share) },
          });
        } else {
          await storeFrostKey(store.db, config.kek, {
            keyId: opts.key,
            groupKey,
            share,
            outputKey: outputKeyXOnly(groupKey),
          });
        }
        process.stdout.write(
          `${JSON.stringify({ keyId: opts.key, restored: true, identifier })}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
