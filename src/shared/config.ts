/**
 * Settings from environment variables (names fixed by DESIGN.md), validated all at once so an
 * operator sees every wrong setting in one run, one line each. Pure: the caller passes the
 * environment (only `api` and the CLI read process.env).
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, ConfigErrors } from './errors.ts';

export const NETWORKS = ['bitcoin', 'testnet', 'signet', 'regtest', 'litecoin-regtest'] as const;
export type BitcoinNetwork = (typeof NETWORKS)[number];
export const SCHEMES = ['frost', 'multisig-p2wsh', 'multisig-tapscript'] as const;
export type CustodyScheme = (typeof SCHEMES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Config {
  port: number;
  dataDir: string;
  databaseUrl: string;
  scheme: CustodyScheme;
  network: BitcoinNetwork;
  bitcoinRpcUrl: string | undefined;
  confirmations: number;
  settleIntervalMs: number;
  genesisFile: string | undefined;
  autoApprove: boolean;
  bootstrapApiKey: string | undefined;
  /**
   * Origins (scheme://host[:port]) the dashboard is reached at besides this machine's loopback
   * on the listening port, e.g. behind a TLS proxy: Sign-In with Ethereum accepts no other.
   */
  dashboardOrigins: string[];
  signerKekFile: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  approvals: ApprovalSettings;
}

/** Who must approve a settlement before the signers are asked (approvals/policy.ts). */
export interface ApprovalSettings {
  /** Lower-case Ethereum addresses; empty in development (any one address, quorum 1). */
  treasurers: string[];
  treasurerQuorum: number;
  institutionQuorum: number;
  /** Payouts in 24 hours above which `extraApprovals` more treasurers are needed. */
  dailyLimitSats: bigint | undefined;
  /** Settlements in 24 hours above which `extraApprovals` more treasurers are needed. */
  velocityLimit: number | undefined;
  extraApprovals: number;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected a whole number from ${min} to ${max}`);

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(', ')}` });

const SETTINGS = {
  PORT: integer(0, 65535).optional(),
  DATA_DIR: z.string().min(1, 'must not be empty').optional(),
  DATABASE_URL: z
    .string()
    .regex(/^(file:.+|postgres(ql)?:\/\/.+)$/, 'expected file:<path> or postgresql://…')
    .optional(),
  CUSTODY_SCHEME: oneOf(SCHEMES).optional(),
  BITCOIN_NETWORK: oneOf(NETWORKS).optional(),
  BITCOIN_RPC_URL: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL').optional(),
  CONFIRMATIONS: integer(1, 1000).optional(),
  SETTLE_INTERVAL_MS: integer(100, 86_400_000).optional(),
  GENESIS_FILE: z.string().min(1, 'must not be empty').optional(),
  AUTO_APPROVE: z.enum(['0', '1'], { error: 'expected 1 or 0' }).optional(),
  BOOTSTRAP_API_KEY: z.string().min(16, 'expected at least 16 characters').optional(),
  SIGNER_KEK_FILE: z.string().min(1, 'must not be empty').optional(),
  DASHBOARD_ORIGINS: z
    .string()
    .refine(
      (v) => v.split(',').every(isOrigin),
      'expected comma-separated origins such as https://custody.example.org',
    )
    .optional(),
  LOG_LEVEL: oneOf(LOG_LEVELS).optional(),
  TREASURERS: z
    .string()
    .regex(
      /^0x[0-9a-fA-F]{40}(,0x[0-9a-fA-F]{40})*$/,
      'expected comma-separated 0x-hex Ethereum addresses',
    )
    .optional(),
  TREASURER_QUORUM: integer(1, 100).optional(),
  INSTITUTION_QUORUM: integer(0, 100).optional(),
  DAILY_LIMIT_SATS: integer(0, Number.MAX_SAFE_INTEGER).optional(),
  VELOCITY_LIMIT: integer(1, 1_000_000).optional(),
  EXTRA_APPROVALS: integer(0, 100).optional(),
} as const;

/** scheme://host[:port] and nothing else: what a browser sends as Origin. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return isHttpUrl(value) && url.origin === value;
  } catch {
    return false;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const errors: ConfigError[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SETTINGS)) {
    const raw = env[name] === '' ? undefined : env[name];
    const result = schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else {
      const got = SECRET_SETTINGS.has(name) ? redacted(raw) : describe(raw);
      errors.push(new ConfigError(name, `${result.error.issues[0]?.message} (got ${got})`));
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  const v = values as { [K in keyof typeof SETTINGS]: z.output<(typeof SETTINGS)[K]> };
  const approvals = approvalSettings(v);
  const dataDir = path.resolve(v.DATA_DIR ?? './data');
  const network = v.BITCOIN_NETWORK ?? 'regtest';
  return {
    port: v.PORT ?? 8080,
    dataDir,
    databaseUrl: v.DATABASE_URL ?? `file:${path.join(dataDir, 'custody.db')}`,
    scheme: v.CUSTODY_SCHEME ?? 'frost',
    network,
    bitcoinRpcUrl: v.BITCOIN_RPC_URL,
    confirmations: v.CONFIRMATIONS ?? (isRegtest(network) ? 1 : 6),
    settleIntervalMs: v.SETTLE_INTERVAL_MS ?? 2000,
    genesisFile: v.GENESIS_FILE,
    autoApprove: v.AUTO_APPROVE === '1',
    bootstrapApiKey: v.BOOTSTRAP_API_KEY,
    dashboardOrigins: v.DASHBOARD_ORIGINS?.split(',') ?? [],
    signerKekFile: v.SIGNER_KEK_FILE,
    logLevel: v.LOG_LEVEL ?? 'info',
    approvals,
  };
}

function approvalSettings(v: {
  TREASURERS?: string | undefined;
  TREASURER_QUORUM?: number | undefined;
  INSTITUTION_QUORUM?: number | undefined;
  DAILY_LIMIT_SATS?: number | undefined;
  VELOCITY_LIMIT?: number | undefined;
  EXTRA_APPROVALS?: number | undefined;
}): ApprovalSettings {
  const treasurers = [...new Set((v.TREASURERS ?? '').toLowerCase().split(',').filter(Boolean))];
  // Default: a majority of the treasurers (1 in development, with no treasurer configured).
  const quorum = v.TREASURER_QUORUM ?? Math.max(1, Math.floor(treasurers.length / 2) + 1);
  const extra = v.EXTRA_APPROVALS ?? 1;
  const limited = v.DAILY_LIMIT_SATS !== undefined || v.VELOCITY_LIMIT !== undefined;
  const most = quorum + (limited ? extra : 0);
  if (treasurers.length > 0 && most > treasurers.length) {
    throw new ConfigErrors([
      new ConfigError(
        'TREASURER_QUORUM',
        `up to ${most} approvals (the quorum${limited ? ' plus EXTRA_APPROVALS over a limit' : ''}) cannot come from ${treasurers.length} treasurers`,
      ),
    ]);
  }
  return {
    treasurers,
    treasurerQuorum: treasurers.length === 0 ? 1 : quorum,
    institutionQuorum: v.INSTITUTION_QUORUM ?? 0,
    dailyLimitSats: v.DAILY_LIMIT_SATS === undefined ? undefined : BigInt(v.DAILY_LIMIT_SATS),
    velocityLimit: v.VELOCITY_LIMIT,
    extraApprovals: extra,
  };
}

export function isRegtest(network: BitcoinNetwork): boolean {
  return network === 'regtest' || network === 'litecoin-regtest';
}

/** Settings whose value must never be echoed: keys, and URLs that may carry credentials. */
const SECRET_SETTINGS = new Set(['BOOTSTRAP_API_KEY', 'BITCOIN_RPC_URL', 'DATABASE_URL']);

function redacted(raw: string | undefined): string {
  return raw === undefined ? 'nothing' : `a value of ${raw.length} characters, not shown`;
}

/** Echo a bad value back without ever echoing a secret in full. */
function describe(raw: string | undefined): string {
  if (raw === undefined) return 'nothing';
  if (raw.length > 40) return `${JSON.stringify(raw.slice(0, 12))}… (${raw.length} characters)`;
  return JSON.stringify(raw);
}
