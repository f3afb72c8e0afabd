/** Runs the real `custody` CLI in a child process, as a user would. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** what `npm run custody` runs (the built command; test/support/build.ts builds it first) */
export const CUSTODY_BIN = path.join(ROOT, 'bin', 'custody.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CUSTODY_BIN, ...args], {
      cwd: ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`custody ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The parent's environment minus every custody setting, plus the ones given. */
export function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!CUSTODY_SETTINGS.has(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

const CUSTODY_SETTINGS = new Set([
  'PORT',
  'DATA_DIR',
  'DATABASE_URL',
  'CUSTODY_SCHEME',
  'BITCOIN_NETWORK',
  'BITCOIN_RPC_URL',
  'CONFIRMATIONS',
  'SETTLE_INTERVAL_MS',
  'GENESIS_FILE',
  'AUTO_APPROVE',
  'BOOTSTRAP_API_KEY',
  'SIGNER_KEK_FILE',
  'LOG_LEVEL',
  'TREASURERS',
  'TREASURER_QUORUM',
  'INSTITUTION_QUORUM',
  'DAILY_LIMIT_SATS',
  'VELOCITY_LIMIT',
  'EXTRA_APPROVALS',
]);
