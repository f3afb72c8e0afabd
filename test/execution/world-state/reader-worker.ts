/**
 * worker_threads side of the shared-reader test: opens the world state read-only once and
 * answers `{ root, address }` with the head it sees and the balance at `root`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Address, hexToBytes } from '@ethereumjs/util';
import { openWorldState } from '../../../src/execution/world-state/world-state.ts';

const ws = await openWorldState(workerData.dir as string, { readOnly: true });
parentPort!.on('message', async (msg: { root: string; address: string } | 'close') => {
  if (msg === 'close') {
    await ws.close();
    parentPort!.close();
    return;
  }
  const sm = ws.stateManagerAt(msg.root);
  const account = await sm.getAccount(new Address(hexToBytes(msg.address as `0x${string}`)));
  let commitRefused = '';
  try {
    await ws.commitFrom(sm);
  } catch (error) {
    commitRefused = (error as Error).message;
  }
  parentPort!.postMessage({
    head: ws.headRoot(),
    balance: String(account?.balance ?? -1n),
    commitRefused,
  });
});
parentPort!.postMessage('ready');
