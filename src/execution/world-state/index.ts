/** Persistent world state: LMDB-backed tries, crash-safe head commits, genesis allocs. */
export {
  applyGenesisAlloc,
  type GenesisAccount,
  type GenesisAlloc,
  type GenesisFile,
  parseGenesisFile,
} from './genesis.ts';
export type { HeadRecord } from './node-store.ts';
export {
  type CommitResult,
  genesisRoot,
  type OpenWorldStateOpts,
  openWorldState,
  StalePreStateError,
  type StateManagerAtOpts,
  WorldState,
} from './world-state.ts';
