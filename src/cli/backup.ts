import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exportKit, restoreKit } from '../api/signer/backup.ts';
import { loadSignerConfig } from '../api/signer/config.ts';
import { parseBackupShard } from '../custody/backup/kit.ts';
import { openStore } from '../store/store.ts';

/**
 * `custody backup export|restore`: a signer's FROST share and identity key as k-of-m recovery
 * shards (one JSON file each, to be handed to different custodians), and their restore, also
 * onto an empty database, refused unless the rebuilt share matches the public verifying share
 * of the key (src/api/signer/backup.ts).
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
          const shards = await exportKit(store.db, config.kek, {
            keyId: opts.key,
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
    .description(
      'restore a key share (and, into an empty database, the identity key) from shard files, verified against the public share',
    )
    .requiredOption('--config <file>', 'the signer settings file')
    .requiredOption('--key <keyId>', 'the key to restore')
    .option('--group-key <file>', 'public group key JSON, when this signer no longer has the key')
    .argument('<shards...>', 'shard files')
    .action(async (files: string[], opts: { config: string; key: string; groupKey?: string }) => {
      const config = loadSignerConfig(opts.config, process.env);
      const store = await openStore({ databaseUrl: config.databaseUrl });
      try {
        const shards = files.map((f, i) =>
          parseBackupShard(JSON.parse(readFileSync(f, 'utf8')), `shards[${i}]`),
        );
        const groupKey = opts.groupKey
          ? JSON.parse(readFileSync(opts.groupKey, 'utf8'))
          : undefined;
        const restored = await restoreKit(store.db, config.kek, {
          keyId: opts.key,
          shards,
          ...(groupKey === undefined ? {} : { groupKey }),
        });
        process.stdout.write(
          `${JSON.stringify({ keyId: opts.key, restored: true, ...restored })}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
