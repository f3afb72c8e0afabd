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

/** A batch on the node's state must be for the node's chain. */
export function checkBatchChain(batch: Batch, chainId: bigint): void {
  if (batch.env.chainId !== chainId) {
    throw new InvalidInputError(
      `env.chainId: ${batch.env.chainId} is not this node's chain id ${chainId}`,
      { field: 'env.chainId' },
    );
  }
}
