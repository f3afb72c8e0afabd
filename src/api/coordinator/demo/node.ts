/**
 * `custody start --demo`: a private regtest node under DATA_DIR (bitcoind, else litecoind, from
 * the PATH), with a wallet of its own that funds the custody address and mines blocks so the
 * demo's settlements confirm. Never used without --demo; the product itself uses no node wallet.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { BitcoinNetwork } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';

export interface DemoNode {
  rpcUrl: string;
  network: BitcoinNetwork;
  /** The highest block this chain may reach (Litecoin's MWEB activates at 432 on regtest). */
  maxHeight: number;
  rpc<T>(method: string, params?: unknown[], wallet?: boolean): Promise<T>;
  stop(): Promise<void>;
}

const WALLET = 'demo';

/** The first of bitcoind, litecoind on the PATH, or undefined. */
export function findNodeBinary(): { binary: string; network: BitcoinNetwork } | undefined {
  for (const [binary, network] of [
    ['bitcoind', 'regtest'],
    ['litecoind', 'litecoin-regtest'],
  ] as const) {
    const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '')
      return { binary: found.stdout.trim(), network };
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startDemoNode(dataDir: string, log: Logger): Promise<DemoNode | undefined> {
  const found = findNodeBinary();
  if (found === undefined) return undefined;
  const dir = path.join(dataDir, 'demo', 'node');
  mkdirSync(dir, { recursive: true });
  const [rpcPort, p2pPort] = [await freePort(), await freePort()];
  const password = randomBytes(16).toString('hex');
  const child: ChildProcess = spawn(
    found.binary,
    [
      '-regtest',
      `-datadir=${dir}`,
      '-server',
      '-listen=0',
      '-connect=0',
      '-dnsseed=0',
      `-port=${p2pPort}`,
      `-rpcport=${rpcPort}`,
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      '-rpcuser=demo',
      `-rpcpassword=${password}`,
      '-fallbackfee=0.0002',
      '-printtoconsole=0',
    ],
    { stdio: 'ignore' },
  );
  const rpc = async <T>(method: string, params: unknown[] = [], wallet = false): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${rpcPort}/${wallet ? `wallet/${WALLET}` : ''}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`demo:${password}`).toString('base64')}`,
        connection: 'close',
      },
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { result: T; error: { message: string } | null };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  await waitForRpc(rpc);
  await rpc('loadwallet', [WALLET]).catch(() => rpc('createwallet', [WALLET]));
  const height = await rpc<number>('getblockcount');
  if (height < 101) {
    const address = await rpc<string>('getnewaddress', [], true);
    await rpc('generatetoaddress', [101 - height, address]);
  }
  log.info(
    { binary: found.binary, network: found.network, dir },
    'demo: private regtest node running',
  );
  return {
    rpcUrl: `http://demo:${password}@127.0.0.1:${rpcPort}`,
    network: found.network,
    maxHeight: found.network === 'litecoin-regtest' ? 431 : Number.MAX_SAFE_INTEGER,
    rpc,
    async stop() {
      await rpc('stop').catch(() => {});
      await new Promise<void>((r) => {
        if (child.exitCode !== null) r();
        else child.once('exit', () => r());
      });
    },
  };
}

async function waitForRpc(rpc: DemoNode['rpc']): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await rpc('getblockcount');
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`demo node did not start: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
