/**
 * A real `litecoind -regtest` (Litecoin Core 0.21, a Bitcoin Core 0.21 fork: same RPC, same
 * script engine) for the settlement tests: a fresh temporary data directory, free loopback
 * ports, its own RPC password, and a test wallet the tests fund addresses from (the product
 * itself uses no node wallet). One node per test file:
 *
 *   let node: Litecoind;
 *   beforeAll(async () => { node = await startLitecoind(); });
 *   afterAll(() => node?.stop());
 *
 * The node is killed when the test process exits, even if `stop` was never reached.
 * Litecoin regtest facts the helpers enforce: coinbase matures after 100 blocks (the wallet
 * starts with 101 mined), and MWEB activates at block 432, after which `generatetoaddress`
 * fails, so `mine` refuses to go past block 431.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const LITECOIND = process.env.LITECOIND ?? '/usr/bin/litecoind';
/** MWEB activates at 432 on Litecoin regtest; generatetoaddress fails from then on. */
export const MAX_MINE_HEIGHT = 431;
export const COINBASE_MATURITY = 100;
export const TEST_WALLET = 'test';

export interface StartOptions {
  /** Create the test wallet and mine 101 blocks to it (default true). */
  fundWallet?: boolean;
  /** Extra command-line arguments. */
  args?: string[];
}

export interface FundResult {
  txid: string;
  vout: number;
  blockHash: string;
}

export class RpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
  ) {
    super(`litecoind ${method}: ${rpcMessage} (code ${code})`);
    this.name = 'RpcCallError';
  }
}

export interface Litecoind {
  /** `http://user:password@127.0.0.1:port`, as an operator would set BITCOIN_RPC_URL. */
  rpcUrl: string;
  rpcPort: number;
  rpcUser: string;
  rpcPassword: string;
  dataDir: string;
  rpc<T = unknown>(method: string, params?: unknown[], wallet?: string): Promise<T>;
  /** The test wallet (created by start unless fundWallet is false). */
  createWallet(name?: string): Promise<void>;
  newAddress(wallet?: string): Promise<string>;
  height(): Promise<number>;
  /** Mines n blocks to `address` (default: a new test-wallet address); refuses past block 431. */
  mine(n: number, address?: string): Promise<string[]>;
  /** Pays `sats` to `address` from the test wallet and mines one block. */
  fund(address: string, sats: bigint): Promise<FundResult>;
  /** Pays without mining (the transaction stays in the mempool). */
  send(address: string, sats: bigint): Promise<{ txid: string; vout: number }>;
  stop(): Promise<void>;
}

/** Litecoin and Bitcoin amounts as the RPC takes them: a decimal string with 8 places. */
export function satsToCoinString(sats: bigint): string {
  const neg = sats < 0n;
  const abs = neg ? -sats : sats;
  const s = `${abs / 100_000_000n}.${(abs % 100_000_000n).toString().padStart(8, '0')}`;
  return neg ? `-${s}` : s;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dataDir] of running) {
      child.kill('SIGKILL');
      try {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // the node may still be dying; a leftover temporary directory is harmless
      }
    }
  });
}

export async function startLitecoind(opts: StartOptions = {}): Promise<Litecoind> {
  // A port found free can be taken before litecoind binds it; then the node exits at once
  // and we try again with new ports.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      lastError = e;
      if (!(e instanceof StartFailedError) || !e.retryable) throw e;
    }
  }
  throw lastError;
}

class StartFailedError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

async function startOnce(opts: StartOptions): Promise<Litecoind> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'litecoind-test-'));
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const rpcUser = 'test';
  const rpcPassword = randomBytes(16).toString('hex');
  const args = [
    '-regtest',
    `-datadir=${dataDir}`,
    '-server',
    '-listen=0',
    '-connect=0',
    '-dnsseed=0',
    '-discover=0',
    '-upnp=0',
    `-port=${p2pPort}`,
    `-rpcport=${rpcPort}`,
    '-rpcbind=127.0.0.1',
    '-rpcallowip=127.0.0.1',
    `-rpcuser=${rpcUser}`,
    `-rpcpassword=${rpcPassword}`,
    '-mempoolreplacement=1',
    '-fallbackfee=0.0002',
    '-keypool=8',
    '-printtoconsole=0',
    '-debuglogfile=debug.log',
    ...(opts.args ?? []),
  ];
  installExitHook();
  const child = spawn(LITECOIND, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.set(child, dataDir);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });

  const rpcUrl = `http://${rpcUser}:${rpcPassword}@127.0.0.1:${rpcPort}`;
  const auth = `Basic ${Buffer.from(`${rpcUser}:${rpcPassword}`).toString('base64')}`;
  let id = 0;
  async function rpc<T>(method: string, params: unknown[] = [], wallet?: string): Promise<T> {
    const url = `http://127.0.0.1:${rpcPort}/${wallet === undefined ? '' : `wallet/${encodeURIComponent(wallet)}`}`;
    const res = await fetch(url, {
      method: 'POST',
      // No kept-alive connection: litecoind's shutdown waits for idle ones (4 s, fetch's default).
      headers: { 'content-type': 'application/json', authorization: auth, connection: 'close' },
      body: JSON.stringify({ jsonrpc: '1.0', id: ++id, method, params }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let body: { result?: T; error?: { code: number; message: string } | null };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`litecoind ${method}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    if (body.error) throw new RpcCallError(method, body.error.code, body.error.message);
    return body.result as T;
  }

  const debugLogTail = (): string => {
    try {
      return readFileSync(path.join(dataDir, 'regtest', 'debug.log'), 'utf8').slice(-2000);
    } catch {
      return '';
    }
  };

  // Wait until RPC answers (connection refused before it binds, -28 while warming up).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnError) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new StartFailedError(`cannot start ${LITECOIND}: ${spawnError.message}`, false);
    }
    if (exited) {
      const log = `${stderr}\n${debugLogTail()}`;
      rmSync(dataDir, { recursive: true, force: true });
      throw new StartFailedError(
        `litecoind exited during start-up (code ${exited.code}): ${log.trim().slice(-1500)}`,
        /bind|address already in use/i.test(log),
      );
    }
    try {
      await rpc('getblockcount');
      break;
    } catch (e) {
      if (e instanceof RpcCallError && e.code !== -28) throw e;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new StartFailedError(`litecoind did not answer RPC in 60 s: ${debugLogTail()}`, false);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopped = false;
  const node: Litecoind = {
    rpcUrl,
    rpcPort,
    rpcUser,
    rpcPassword,
    dataDir,
    rpc,
    async createWallet(name = TEST_WALLET) {
      await rpc('createwallet', [name]);
    },
    async newAddress(wallet = TEST_WALLET) {
      return rpc<string>('getnewaddress', ['', 'bech32'], wallet);
    },
    async height() {
      return rpc<number>('getblockcount');
    },
    async mine(n, address) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`mine: n must be a positive integer`);
      const h = await node.height();
      if (h + n > MAX_MINE_HEIGHT) {
        throw new Error(
          `mine: refusing to mine to height ${h + n}: MWEB activates at ${MAX_MINE_HEIGHT + 1} on Litecoin regtest and generatetoaddress then fails (tip is ${h})`,
        );
      }
      const to = address ?? (await node.newAddress());
      return rpc<string[]>('generatetoaddress', [n, to]);
    },
    async send(address, sats) {
      const txid = await rpc<string>(
        'sendtoaddress',
        [address, satsToCoinString(sats)],
        TEST_WALLET,
      );
      const tx = await rpc<{
        vout: { n: number; scriptPubKey: { addresses?: string[]; address?: string } }[];
      }>('getrawtransaction', [txid, true]);
      const out = tx.vout.find(
        (o) => o.scriptPubKey.addresses?.includes(address) || o.scriptPubKey.address === address,
      );
      if (out === undefined) throw new Error(`fund: ${txid} has no output to ${address}`);
      return { txid, vout: out.n };
    },
    async fund(address, sats) {
      const { txid, vout } = await node.send(address, sats);
      const [blockHash] = await node.mine(1);
      return { txid, vout, blockHash: blockHash! };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        try {
          await rpc('stop');
        } catch {
          child.kill('SIGTERM');
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  if (opts.fundWallet ?? true) {
    await node.createWallet();
    await node.mine(COINBASE_MATURITY + 1);
  }
  return node;
}
