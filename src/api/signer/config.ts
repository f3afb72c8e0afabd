/**
 * A signer's settings: a JSON file (`custody signer --config FILE`) plus the KEK file named by
 * SIGNER_KEK_FILE (or `kekFile` in the config). The KEK must not live beside the data: a file
 * inside the database's directory is refused, so one stolen directory never holds both.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../shared/errors.ts';
import { NETWORK_NAMES, type NetworkName } from '../../shared/networks.ts';
import { parseDatabaseUrl } from '../../store/database-url.ts';

/** The approvals a signer requires, from its own config (signer/settlement/verifier.ts). */
export interface SignerApprovals {
  treasurers: string[];
  quorum: number;
  dailyLimitSats?: bigint;
  velocityLimit?: number;
  extraApprovals?: number;
}

export const CRASH_POINTS = [
  'commit:after-store',
  'sign:after-policy',
  'sign:after-share',
  'sign:after-commit',
  'rollup:after-commit',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const FileSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]{1,40}$/),
  databaseUrl: z.string().min(1),
  port: z.number().int().min(0).max(65535).default(0),
  /** Identity keys of the coordinators this signer obeys. */
  coordinatorKeys: z.array(z.string().regex(/^0x0[23][0-9a-f]{64}$/)).min(1),
  kekFile: z.string().optional(),
  /**
   * Identity keys of the dealers whose key imports this signer accepts (/v1/import/accept);
   * none by default. Never taken from a request: whoever can sign requests could otherwise
   * name a dealer of its own and install a key whose whole secret it knows.
   */
  dealerKeys: z.array(z.string().regex(/^0x0[23][0-9a-f]{64}$/)).default([]),
  /** Fault-injection tests only: the process kills itself (SIGKILL) at this point. */
  crashAt: z.enum(CRASH_POINTS).optional(),
  /** The signer's own copy of the rollup: its genesis and its own world state's directory. */
  rollup: z
    .object({
      /** A geth genesis JSON (config.chainId and alloc); the development genesis without it. */
      genesisFile: z.string().optional(),
      /** The genesis state root the operator expects (0x-hex): a different genesis is refused. */
      genesisStateRoot: z
        .string()
        .regex(/^0x[0-9a-f]{64}$/)
        .optional(),
      /** Its own world state (LMDB); relative to the config file. */
      dataDir: z.string().default('./rollup'),
    })
    .strict()
    .prefault({}),
  /** Its own view of Bitcoin: the network and, when it runs one, its own node. */
  bitcoin: z
    .object({
      network: z.enum(NETWORK_NAMES).default('regtest'),
      /** Bitcoin Core JSON-RPC (credentials in the URL); unset: outputs its operator registers. */
      rpcUrl: z.string().url().optional(),
    })
    .strict()
    .prefault({}),
  /**
   * The treasurers whose EIP-712 approvals this signer requires before it signs a settlement
   * (their Ethereum addresses and how many of them); none: it requires no approvals.
   */
  approvals: z
    .object({
      treasurers: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)).min(1),
      quorum: z.number().int().min(1),
      /**
       * Payouts (sats) and settlements in 24 hours, counted from this signer's own signed
       * settlements, above which it requires `extraApprovals` more treasurers.
       */
      dailyLimitSats: z.number().int().min(0).optional(),
      velocityLimit: z.number().int().min(1).optional(),
      extraApprovals: z.number().int().min(0).default(1),
    })
    .strict()
    .refine((a) => a.quorum <= a.treasurers.length, 'quorum: more than the treasurers listed')
    .refine(
      (a) =>
        (a.dailyLimitSats === undefined && a.velocityLimit === undefined) ||
        a.quorum + a.extraApprovals <= a.treasurers.length,
      'extraApprovals: with the quorum, more than the treasurers listed (a crossed limit could never be met)',
    )
    .optional(),
  /** The limits this signer signs under (its own, whatever the coordinator's are). */
  policy: z
    .object({
      maxFeeRateSatPerVb: z.number().positive().default(200),
      minFeeRateSatPerVb: z.number().positive().default(1),
      maxFeeSats: z.number().int().positive().default(2_000_000),
      maxWithdrawals: z.number().int().min(1).default(2_000),
      /** A rate above its own node's estimate × this factor is refused. */
      maxEstimateFactor: z.number().min(1).default(3),
      incrementalRelayFeeSatPerVb: z.number().positive().default(1),
    })
    .strict()
    .prefault({}),
});

export type SignerPolicyConfig = z.infer<typeof FileSchema>['policy'];

export interface SignerConfig {
  name: string;
  databaseUrl: string;
  port: number;
  coordinatorKeys: string[];
  dealerKeys: string[];
  kek: Uint8Array;
  kekFile: string;
  crashAt: CrashPoint | undefined;
  rollup: {
    genesisFile: string | undefined;
    genesisStateRoot: string | undefined;
    dataDir: string;
  };
  bitcoin: { network: NetworkName; rpcUrl: string | undefined };
  approvals: SignerApprovals | undefined;
  policy: SignerPolicyConfig;
}

export function loadSignerConfig(
  file: string,
  env: Record<string, string | undefined>,
): SignerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('--config', `cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError('--config', `${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const cfg = parsed.data;
  const baseDir = path.dirname(path.resolve(file));
  const databaseUrl = resolveSqlitePath(cfg.databaseUrl, baseDir);
  const kekFile = cfg.kekFile ? path.resolve(baseDir, cfg.kekFile) : env.SIGNER_KEK_FILE;
  if (!kekFile) throw new ConfigError('SIGNER_KEK_FILE', 'required: the key-encryption key file');
  const kek = readKek(kekFile);
  refuseKekBesideData(kekFile, databaseUrl);
  return {
    name: cfg.name,
    databaseUrl,
    port: cfg.port,
    coordinatorKeys: cfg.coordinatorKeys,
    dealerKeys: cfg.dealerKeys,
    kek,
    kekFile,
    crashAt: cfg.crashAt,
    rollup: {
      genesisFile:
        cfg.rollup.genesisFile === undefined
          ? undefined
          : path.resolve(baseDir, cfg.rollup.genesisFile),
      genesisStateRoot: cfg.rollup.genesisStateRoot,
      dataDir: path.resolve(baseDir, cfg.rollup.dataDir),
    },
    bitcoin: { network: cfg.bitcoin.network, rpcUrl: cfg.bitcoin.rpcUrl },
    approvals:
      cfg.approvals === undefined
        ? undefined
        : {
            treasurers: cfg.approvals.treasurers.map((t) => t.toLowerCase()),
            quorum: cfg.approvals.quorum,
            ...(cfg.approvals.dailyLimitSats === undefined
              ? {}
              : { dailyLimitSats: BigInt(cfg.approvals.dailyLimitSats) }),
            ...(cfg.approvals.velocityLimit === undefined
              ? {}
              : { velocityLimit: cfg.approvals.velocityLimit }),
            extraApprovals: cfg.approvals.extraApprovals,
          },
    policy: cfg.policy,
  };
}

/** 32 raw bytes, or 64 hex characters (with optional newline); readable by its owner only. */
export function readKek(file: string): Uint8Array {
  let bytes: Buffer;
  try {
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new ConfigError(
        'SIGNER_KEK_FILE',
        `${file} is readable by group or others (chmod 600 it)`,
      );
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'SIGNER_KEK_FILE',
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const text = bytes.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  if (bytes.length === 32) return new Uint8Array(bytes);
  throw new ConfigError('SIGNER_KEK_FILE', `${file}: expected 32 bytes or 64 hex characters`);
}

function refuseKekBesideData(kekFile: string, databaseUrl: string): void {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.provider !== 'sqlite') return;
  const dataDir = path.dirname(path.resolve(target.file));
  const rel = path.relative(dataDir, path.resolve(kekFile));
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    throw new ConfigError('SIGNER_KEK_FILE', `must not be stored beside the data (${dataDir})`);
  }
}

function resolveSqlitePath(url: string, baseDir: string): string {
  if (!url.startsWith('file:')) return url;
  const file = url.slice('file:'.length);
  return `file:${path.resolve(baseDir, file)}`;
}
