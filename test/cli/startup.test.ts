import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUSTODY_BIN, cleanEnv, ROOT, runCli } from '../support/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'custody-startup-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const base = { DATA_DIR: path.join(dir, 'data'), PORT: '0' };

/** Start-up must fail fast: one readable line per problem, non-zero exit, no stack trace. */
async function expectRefusal(env: Record<string, string>, line: RegExp, args = ['start']) {
  const r = await runCli(args, { ...base, ...env });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(line);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
  return r;
}

describe('custody start refuses bad configuration', () => {
  it.each([
    [
      'PORT',
      'http',
      /^custody: invalid setting PORT: expected a whole number from 0 to 65535 \(got "http"\)$/m,
    ],
    ['PORT', '70000', /invalid setting PORT/],
    [
      'DATABASE_URL',
      'mysql://db/custody',
      /invalid setting DATABASE_URL: expected file:<path> or postgresql/,
    ],
    [
      'CUSTODY_SCHEME',
      'multisig',
      /invalid setting CUSTODY_SCHEME: expected one of frost, multisig-p2wsh/,
    ],
    [
      'BITCOIN_NETWORK',
      'mainnet',
      /invalid setting BITCOIN_NETWORK: expected one of bitcoin, testnet/,
    ],
    ['BITCOIN_RPC_URL', 'ftp://x', /invalid setting BITCOIN_RPC_URL: expected an http/],
    ['CONFIRMATIONS', '0', /invalid setting CONFIRMATIONS/],
    ['SETTLE_INTERVAL_MS', '-5', /invalid setting SETTLE_INTERVAL_MS/],
    ['AUTO_APPROVE', 'yes', /invalid setting AUTO_APPROVE: expected 1 or 0/],
    ['LOG_LEVEL', 'loud', /invalid setting LOG_LEVEL/],
    [
      'GENESIS_FILE',
      '/nonexistent/genesis.json',
      /invalid setting GENESIS_FILE: cannot read \/nonexistent\/genesis.json \(ENOENT\)/,
    ],
    ['SIGNER_KEK_FILE', '/nonexistent/kek', /invalid setting SIGNER_KEK_FILE: cannot read/],
  ])('%s=%s', async (name, value, line) => {
    await expectRefusal({ [name]: value }, line);
  });

  it('does not echo a short BOOTSTRAP_API_KEY (a secret) in its error', async () => {
    const r = await expectRefusal(
      { BOOTSTRAP_API_KEY: 'hunter2' },
      /invalid setting BOOTSTRAP_API_KEY: expected at least 16 characters/,
    );
    expect(r.stderr).not.toContain('hunter2');
  });

  it('does not echo credentials in a bad DATABASE_URL', async () => {
    const r = await expectRefusal({ DATABASE_URL: 'mysql://admin:s3cret@db/x' }, /DATABASE_URL/);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('reports every bad setting at once, one line each', async () => {
    const r = await expectRefusal({ PORT: 'x', CUSTODY_SCHEME: 'y', CONFIRMATIONS: 'z' }, /PORT/);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('custody: invalid setting')),
    ).toHaveLength(3);
  });

  it('refuses a genesis file that is not JSON', async () => {
    await expectRefusal(
      { GENESIS_FILE: file('bad.json', '{') },
      /GENESIS_FILE: .* is not valid JSON/,
    );
  });

  it('refuses a genesis file without a chain id', async () => {
    await expectRefusal(
      { GENESIS_FILE: file('nochain.json', '{"alloc":{}}') },
      /config.chainId must be a positive integer/,
    );
  });

  it('refuses a data directory whose world state belongs to another genesis', async () => {
    const env = { DATA_DIR: path.join(dir, 'other-chain') };
    const first = file('genesis-a.json', '{"config":{"chainId":4242},"alloc":{}}');
    const created = await runCli(['state'], { ...base, ...env, GENESIS_FILE: first });
    expect(created.code, created.stderr).toBe(0);
    const other =
      '{"config":{"chainId":4242},"alloc":{"0x00000000000000000000000000000000000000aa":{"balance":"0x1"}}}';
    await expectRefusal(
      { ...env, GENESIS_FILE: file('genesis-b.json', other) },
      /^custody: .*state holds the chain of genesis 0x[0-9a-f]{64}, not 0x[0-9a-f]{64}$/m,
    );
  });

  it('refuses an unreachable PostgreSQL server with one line', async () => {
    await expectRefusal(
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' },
      /^custody: cannot open the postgresql database: .*ECONNREFUSED/m,
    );
  });

  it('refuses a port that is already in use', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expectRefusal(
        { PORT: String(port) },
        new RegExp(`^custody: port ${port} on 127.0.0.1 is already in use`, 'm'),
      );
    } finally {
      blocker.close();
    }
  });

  it('refuses an unknown command with usage help', async () => {
    await expectRefusal({}, /unknown command 'strat'/, ['strat']);
  });
});

describe('custody start', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('serves /healthz, /readyz, /metrics and /openapi.json on the embedded default, then stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CUSTODY_BIN, 'start'], {
      cwd: ROOT,
      env: cleanEnv({ DATA_DIR: path.join(dir, 'start-data'), PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /custody coordinator on (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await fetch(url + p)).status, p).toBe(200);
    }
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
