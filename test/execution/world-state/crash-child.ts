/**
 * Child process for the crash-safety test: commits batch after batch to the world state in
 * argv[2] until it is killed. Batch h sets account i's balance to h * 1e6 + i and its slot 1
 * to h, so the parent can check any head it finds completely. Protocol on stdout, one line
 * each: `begin H` before commitFrom, `done H ROOT` after it resolved.
 */
import { Address, bigIntToBytes, createAccount, setLengthLeft } from '@ethereumjs/util';
import { openWorldState } from '../../../src/execution/world-state/world-state.ts';

const [dir, accountsArg] = process.argv.slice(2);
const accounts = Number(accountsArg ?? 1000);

export function accountAddress(i: number): Address {
  return new Address(setLengthLeft(bigIntToBytes(0x10000n + BigInt(i)), 20));
}

if (dir !== undefined) {
  const ws = await openWorldState(dir);
  const sm = ws.stateManagerAt();
  const slot = setLengthLeft(Uint8Array.of(1), 32);
  for (;;) {
    const height = ws.head().height + 1;
    for (let i = 0; i < accounts; i++) {
      const address = accountAddress(i);
      await sm.putAccount(
        address,
        createAccount({ balance: BigInt(height) * 1_000_000n + BigInt(i) }),
      );
      await sm.putStorage(address, slot, bigIntToBytes(BigInt(height)));
    }
    // Hash first, so that the window between `begin` and `done` is the disk commit itself:
    // the parent's kill then lands inside the write transaction or its flush.
    await sm.getStateRoot();
    process.stdout.write(`begin ${height}\n`);
    const { root } = await ws.commitFrom(sm);
    process.stdout.write(`done ${height} ${root}\n`);
  }
}
