/**
 * `custody start --demo`: the whole loop live on one machine. A demo genesis funds a demo
 * account (unless GENESIS_FILE is set), a private regtest node runs under DATA_DIR when bitcoind
 * or litecoind is on the PATH (unless BITCOIN_RPC_URL names one), the custody address is funded
 * from the node's wallet, a block is mined every few seconds, and a batch with withdrawals is
 * submitted every few seconds. Settlements are approved automatically (AUTO_APPROVE, logged at
 * every use) unless treasurers are configured.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { address } from 'bitcoinjs-lib';
import { settlementNetwork } from '../../../settlement/networks.ts';
import { type Config, isRegtest } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { type RunningCoordinator, startCoordinator } from '../server.ts';
import { custodyTypeOf } from '../settlement/open.ts';
import { nodeBlockSettings } from '../world-state.ts';
import { type DemoNode, startDemoNode } from './node.ts';
import { demoAccount, demoGenesis, freshScript, startDemoTraffic } from './traffic.ts';

export const DEMO_INTERVAL_MS = 5000;

export interface RunningDemo {
  running: RunningCoordinator;
  custodyAddress: string;
  node: DemoNode | undefined;
  /** What the demo does, for the one line `custody start` prints. */
  summary: string;
  close(): Promise<void>;
}

export async function startDemo(base: Config, log: Logger, version: string): Promise<RunningDemo> {
  const account = demoAccount(base.dataDir);
  const config: Config = { ...base };
  if (config.genesisFile === undefined) config.genesisFile = demoGenesis(base.dataDir, account);
  let node: DemoNode | undefined;
  if (config.bitcoinRpcUrl === undefined) {
    node = await startDemoNode(base.dataDir, log);
    if (node !== undefined) {
      config.bitcoinRpcUrl = node.rpcUrl;
      config.network = node.network;
      config.confirmations = 1;
    }
  }
  if (!isRegtest(config.network)) {
    throw new ConfigError(
      'BITCOIN_NETWORK',
      `--demo runs on regtest networks only, not ${config.network}`,
    );
  }
  if (!config.autoApprove && config.approvals.treasurers.length === 0) config.autoApprove = true;
  let running: RunningCoordinator;
  try {
    running = await startCoordinator(config, log, version);
  } catch (error) {
    await node?.stop();
    throw error;
  }
  const network = settlementNetwork(config.network);
  const custodyAddress = address.fromOutputScript(
    custodyTypeOf(running.custody).scriptPubKey,
    network.bitcoinjs,
  );
  const timers: NodeJS.Timeout[] = [];
  if (node !== undefined) {
    await fundCustody(node, base.dataDir, custodyAddress, log);
    timers.push(setInterval(() => void mineOne(node, log), DEMO_INTERVAL_MS));
  }
  const block = nodeBlockSettings(config);
  const stopTraffic = startDemoTraffic({
    db: running.store.db,
    world: running.worldState,
    account,
    gasLimit: block.gasLimit,
    baseFee: block.baseFee,
    intervalMs: DEMO_INTERVAL_MS,
    payee: node === undefined ? async () => freshScript() : () => walletScript(node),
    kick: running.kick,
    log,
  });
  const summary =
    node !== undefined
      ? `demo: batches every ${DEMO_INTERVAL_MS / 1000} s, settled on a private ${config.network} node`
      : config.bitcoinRpcUrl !== undefined
        ? `demo: batches every ${DEMO_INTERVAL_MS / 1000} s, settled on BITCOIN_RPC_URL (fund ${custodyAddress})`
        : 'demo: no bitcoind or litecoind on the PATH: batches are executed, settlements wait for a custody output (offline backend)';
  return {
    running,
    custodyAddress,
    node,
    summary,
    async close() {
      stopTraffic();
      for (const t of timers) clearInterval(t);
      await running.close();
      await node?.stop();
    },
  };
}

/** Once per DATA_DIR (a marker file): 1 coin to the custody address, mined. */
async function fundCustody(
  node: DemoNode,
  dataDir: string,
  custodyAddress: string,
  log: Logger,
): Promise<void> {
  const marker = path.join(dataDir, 'demo', 'funded');
  if (existsSync(marker)) return;
  const txid = await node.rpc<string>('sendtoaddress', [custodyAddress, 1], true);
  await mineOne(node, log);
  writeFileSync(marker, `${txid}\n`);
  log.info({ custodyAddress, txid }, 'demo: custody address funded with 1 coin');
}

async function mineOne(node: DemoNode, log: Logger): Promise<void> {
  try {
    const height = await node.rpc<number>('getblockcount');
    if (height >= node.maxHeight) return;
    const to = await node.rpc<string>('getnewaddress', [], true);
    await node.rpc('generatetoaddress', [1, to]);
    if (height + 1 === node.maxHeight) {
      log.warn({ height: height + 1 }, 'demo: the regtest chain reached its last minable block');
    }
  } catch (error) {
    log.warn({ err: error }, 'demo: mining failed');
  }
}

async function walletScript(node: DemoNode): Promise<string> {
  const addr = await node.rpc<string>('getnewaddress', [], true);
  const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [addr], true);
  return info.scriptPubKey;
}
