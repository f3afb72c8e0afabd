import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadSignerConfig } from '../api/signer/config.ts';
import { parseOutputSpec, registerCustody, registerOutput } from '../api/signer/operator.ts';
import { InvalidInputError } from '../shared/errors.ts';
import { openStore } from '../store/store.ts';

/**
 * `custody register output|custody --config FILE ...`: what a signer's operator tells their own
 * signer directly (src/api/signer/operator.ts): a custody output seen confirmed at the custody
 * address (offline backend), or the multi-sig custody definition its key signs for.
 */
export function register(program: Command): void {
  const reg = program
    .command('register')
    .description("a signer operator's records: custody outputs, multi-sig custody definitions");
  reg
    .command('output')
    .description('a custody output seen confirmed at the custody address (TXID:VOUT:SATS)')
    .requiredOption('--config <file>', 'the signer settings file')
    .argument('<outputs...>', 'TXID:VOUT:SATS')
    .action(async (outputs: string[], opts: { config: string }) => {
      const parsed = outputs.map((o) => parseOutputSpec(o));
      await withSignerDb(opts.config, async (db, name) => {
        for (const o of parsed) await registerOutput(db, `operator:${name}`, o);
      });
      process.stdout.write(`${JSON.stringify({ registered: outputs })}\n`);
    });
  reg
    .command('custody')
    .description('the multi-sig custody definition a key signs for')
    .requiredOption('--config <file>', 'the signer settings file')
    .requiredOption('--key <keyId>', 'the multi-sig key')
    .requiredOption('--definition <file>', 'JSON {scheme, threshold, publicKeys}')
    .action(async (opts: { config: string; key: string; definition: string }) => {
      let definition: unknown;
      try {
        definition = JSON.parse(readFileSync(opts.definition, 'utf8'));
      } catch (error) {
        throw new InvalidInputError(`--definition: ${(error as Error).message}`);
      }
      await withSignerDb(opts.config, (db, name) =>
        registerCustody(db, `operator:${name}`, opts.key, definition),
      );
      process.stdout.write(`${JSON.stringify({ keyId: opts.key, registered: true })}\n`);
    });
}

async function withSignerDb(
  configFile: string,
  fn: (db: Awaited<ReturnType<typeof openStore>>['db'], name: string) => Promise<void>,
): Promise<void> {
  const config = loadSignerConfig(configFile, process.env);
  const store = await openStore({ databaseUrl: config.databaseUrl });
  try {
    await fn(store.db, config.name);
  } finally {
    await store.close();
  }
}
