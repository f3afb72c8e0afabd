/**
 * The node's world state: `$DATA_DIR/state`, created from the configured genesis (GENESIS_FILE,
 * or the development genesis with chain id 4242) plus the bridge predeploy for BITCOIN_NETWORK.
 * An existing directory made from a different genesis is refused, so a node never continues
 * another chain, and a batch for another chain id is refused before it executes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { withBridgePredeploy } from '../../execution/bridge/alloc.ts';
import type { Batch } from '../../execution/types.ts';
import { type GenesisFile, parseGenesisFile } from '../../execution/world-state/genesis.ts';
import { openWorldState, type WorldState } from '../../execution/world-state/world-state.ts';
import type { Config } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';

export const DEV_CHAIN_ID = 4242n;

export interface NodeWorldState {
  ws: WorldState;
  chainId: bigint;
}

export function worldStateDir(dataDir: string): string {
  return path.join(dataDir, 'state');
}

/** The genesis this node's chain starts from, bridge predeploy included. */
export function nodeGenesis(config: Pick<Config, 'genesisFile' | 'network'>): GenesisFile {
  const file: GenesisFile =
    config.genesisFile === undefined
      ? { chainId: DEV_CHAIN_ID, alloc: {} }
      : parseGenesisFile(JSON.parse(readFileSync(config.genesisFile, 'utf8')));
  return { chainId: file.chainId, alloc: withBridgePredeploy(file.alloc, config.network) };
}

export async function openNodeWorldState(
  config: Pick<Config, 'genesisFile' | 'network' | 'dataDir'>,
): Promise<NodeWorldState> {
  const genesis = nodeGenesis(config);
  const ws = await openWorldState(worldStateDir(config.dataDir), { genesis: genesis.alloc });
  return { ws, chainId: genesis.chainId };
}

/** What the coordinator puts in the environment of every batch it numbers (batch-env.ts). */
export interface BlockSettings {
  coinbase: string;
  gasLimit: bigint;
  baseFee: bigint;
}

/** A rollup batch is many blocks' worth of transactions: 1,000 token transfers use 52M gas. */
export const DEFAULT_BATCH_GAS_LIMIT = 1_000_000_000n;
export const DEFAULT_BASE_FEE = 7n;

/**
 * The genesis file's own `coinbase`, `gasLimit` and `baseFeePerGas` (geth's field names), else
 * the zero address, DEFAULT_BATCH_GAS_LIMIT and DEFAULT_BASE_FEE.
 */
export function nodeBlockSettings(config: Pick<Config, 'genesisFile'>): BlockSettings {
  const raw =
    config.genesisFile === undefined
      ? {}
      : (JSON.parse(readFileSync(config.genesisFile, 'utf8')) as Record<string, unknown>);
  const quantity = (name: string, fallback: bigint): bigint => {
    const v = raw[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) {
      throw new InvalidInputError(`genesis.${name}: expected a 0x-hex quantity`, {
        field: `genesis.${name}`,
      });
    }
    return BigInt(v);
  };
  const coinbase = raw.coinbase ?? `0x${'00'.repeat(20)}`;
  if (typeof coinbase !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(coinbase)) {
    throw new InvalidInputError('genesis.coinbase: expected a 20-byte 0x-hex address', {
      field: 'genesis.coinbase',
    });
  }
  const gasLimit = quantity('gasLimit', DEFAULT_BATCH_GAS_LIMIT);
  // What a batch file's env.gasLimit may be (batch.ts): else every batch would be refused.
  if (gasLimit < 5000n || gasLimit >= 1n << 64n) {
    throw new InvalidInputError('genesis.gasLimit: expected at least 5000 and below 2^64', {
      field: 'genesis.gasLimit',
    });
  }
  return {
    coinbase: coinbase.toLowerCase(),
    gasLimit,
    baseFee: quantity('baseFeePerGas', DEFAULT_BASE_FEE),
  };
}

/** A batch on the node's state must be for the node's chain. */
export function checkBatchChain(batch: Batch, chainId: bigint): void {
  if (batch.env.chainId !== chainId) {
    throw new InvalidInputError(
      `env.chainId: ${batch.env.chainId} is not this node's chain id ${chainId}`,
      { field: 'env.chainId' },
    );
  }
}
