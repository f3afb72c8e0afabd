/**
 * The embedded default of `custody start`: three signer processes (2-of-3) on this machine,
 * each with its own directory and database under $DATA_DIR/signers/<name>/ and its own
 * key-encryption key in $DATA_DIR/keys/ (local-keys.ts), outside every signer's directory.
 *
 * In production each institution runs its own `custody signer` with its own SIGNER_KEK_FILE;
 * this is for development and demos, and it says so in the log.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IdentityKey } from '../../custody/identity.ts';
import type { Config } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { type LaunchedSigner, launchSigner } from '../signer/supervisor.ts';
import { keysDir, localSignerKek } from './local-keys.ts';

export { loadCoordinatorIdentity } from './local-keys.ts';

export const LOCAL_SIGNER_NAMES = ['signer-1', 'signer-2', 'signer-3'] as const;
export const LOCAL_THRESHOLD = 2;

export interface LocalSignersOpts {
  dataDir: string;
  coordinator: IdentityKey;
  log: Logger;
  /**
   * What each local signer's own records start from: the same genesis file and Bitcoin
   * network (and node, when there is one) as the coordinator's. Each keeps its own copy of the
   * rollup in its own directory and verifies every batch itself.
   */
  chain: Pick<Config, 'genesisFile' | 'network' | 'bitcoinRpcUrl'> & {
    /** The configured treasurers: each local signer re-checks their approvals itself. */
    approvals?: Config['approvals'];
  };
}

/**
 * SIGNER_KEK_FILE is one signer's key-encryption key (`custody signer`, `custody backup`).
 * Handing it to all three local signers would let one file open the whole quorum, so
 * `custody start` refuses it: its signers each get their own.
 */
export function refuseSharedKek(kekFile: string | undefined): void {
  if (kekFile === undefined) return;
  throw new ConfigError(
    'SIGNER_KEK_FILE',
    "is one signer's key-encryption key: custody start gives each of its local signers its own (in DATA_DIR/keys/); unset it, or run each signer with `custody signer`",
  );
}

export async function startLocalSigners(opts: LocalSignersOpts): Promise<LaunchedSigner[]> {
  opts.log.warn(
    { keys: keysDir(opts.dataDir) },
    'local signers: development quorum on one machine, each with a generated key-encryption key; in production run each signer with `custody signer` and its own SIGNER_KEK_FILE',
  );
  const launched: LaunchedSigner[] = [];
  try {
    for (const name of LOCAL_SIGNER_NAMES) {
      const dir = path.join(opts.dataDir, 'signers', name);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const configFile = path.join(dir, 'signer.json');
      writeFileSync(configFile, `${JSON.stringify(localSignerConfig(name, opts), null, 2)}\n`);
      launched.push(
        await launchSigner({
          configFile,
          env: signerEnv(localSignerKek(opts.dataDir, name, dir, opts.log)),
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

function localSignerConfig(name: string, opts: LocalSignersOpts): Record<string, unknown> {
  const { genesisFile, network, bitcoinRpcUrl, approvals } = opts.chain;
  const treasurers = approvals?.treasurers ?? [];
  return {
    name,
    databaseUrl: 'file:./signer.db',
    coordinatorKeys: [opts.coordinator.publicKey],
    rollup: {
      ...(genesisFile === undefined ? {} : { genesisFile: path.resolve(genesisFile) }),
      dataDir: './rollup',
    },
    bitcoin: { network, ...(bitcoinRpcUrl === undefined ? {} : { rpcUrl: bitcoinRpcUrl }) },
    // Development (no treasurer configured) has nobody a signer could check approvals against.
    ...(treasurers.length === 0
      ? {}
      : {
          approvals: {
            treasurers,
            quorum: approvals?.treasurerQuorum ?? 1,
            // The coordinator's limits, counted again by each signer from its own records.
            ...(approvals?.dailyLimitSats === undefined
              ? {}
              : { dailyLimitSats: Number(approvals.dailyLimitSats) }),
            ...(approvals?.velocityLimit === undefined
              ? {}
              : { velocityLimit: approvals.velocityLimit }),
            extraApprovals: approvals?.extraApprovals ?? 1,
          },
        }),
  };
}

/** The parent's environment minus the coordinator's own database and port settings. */
function signerEnv(kekFile: string): NodeJS.ProcessEnv {
  const { PORT: _port, DATABASE_URL: _db, ...rest } = process.env;
  return { ...rest, SIGNER_KEK_FILE: kekFile };
}
