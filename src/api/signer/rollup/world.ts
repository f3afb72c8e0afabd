/**
 * The signer's own copy of the rollup's world state: created in its own data directory from the
 * genesis its own config names (plus the bridge predeploy of its own Bitcoin network), never
 * from anything the coordinator sends. With `genesisStateRoot` in the config, a genesis file
 * that does not hash to it stops start-up, so an operator who pinned the chain cannot be
 * handed another one by whoever edits the genesis file.
 */
import {
  genesisRoot,
  openWorldState,
  type WorldState,
} from '../../../execution/world-state/world-state.ts';
import { ConfigError } from '../../../shared/errors.ts';
import type { NetworkName } from '../../../shared/networks.ts';
import { nodeGenesis } from '../../coordinator/world-state.ts';
import type { SignerConfig } from '../config.ts';

export interface SignerWorld {
  ws: WorldState;
  chainId: bigint;
  /** 0x-hex state root of its genesis: batch 0's post-state. */
  genesisRoot: string;
}

export async function openSignerWorld(
  rollup: SignerConfig['rollup'],
  network: NetworkName,
): Promise<SignerWorld> {
  let genesis: ReturnType<typeof nodeGenesis>;
  try {
    genesis = nodeGenesis({ genesisFile: rollup.genesisFile, network });
  } catch (error) {
    throw new ConfigError('rollup.genesisFile', (error as Error).message);
  }
  const root = await genesisRoot(genesis.alloc);
  const pinned = rollup.genesisStateRoot;
  if (pinned !== undefined && pinned.toLowerCase() !== root) {
    throw new ConfigError(
      'rollup.genesisStateRoot',
      `the genesis ${rollup.genesisFile ?? '(development genesis)'} has state root ${root}, not ${pinned}`,
    );
  }
  const ws = await openWorldState(rollup.dataDir, { genesis: genesis.alloc });
  return { ws, chainId: genesis.chainId, genesisRoot: root };
}
