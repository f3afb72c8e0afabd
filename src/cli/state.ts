/**
 * `custody state`: the head of the node's world state as one JSON object
 * `{root, height, genesisRoot, chainId, dir}`; `root` is what the next batch file names as its
 * `preStateRoot`. Creates the genesis state on first use, like `custody start`.
 */
import type { Command } from 'commander';
import { openNodeWorldState } from '../api/coordinator/world-state.ts';
import { toQuantity } from '../shared/hex.ts';
import { loadConfig } from './context.ts';

export function register(program: Command): void {
  program
    .command('state')
    .description('print the head of the world state (the next batch\'s "preStateRoot")')
    .action(async () => {
      const { ws, chainId } = await openNodeWorldState(loadConfig());
      try {
        const head = ws.head();
        const out = { ...head, chainId: toQuantity(chainId), dir: ws.dir };
        process.stdout.write(`${JSON.stringify(out)}\n`);
      } finally {
        await ws.close();
      }
    });
}
