/**
 * Loads a batch's `pre` into a Merkle state manager exactly as given (empty accounts included:
 * they are part of the root). `fast` turns on the account/storage/code caches, which is what
 * keeps trie work out of the per-transaction path (the trie is touched at getStateRoot).
 */
import type { Common } from '@ethereumjs/common';
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, Address, bigIntToBytes, hexToBytes } from '@ethereumjs/util';
import type { ExecutionProfile } from './crypto.ts';
import type { PreState } from './types.ts';

export async function loadPreState(
  pre: PreState,
  common: Common,
  profile: ExecutionProfile,
): Promise<MerkleStateManager> {
  const sm =
    profile === 'fast'
      ? new MerkleStateManager({ common, caches: new Caches() })
      : new MerkleStateManager({ common });
  for (const [addressHex, acc] of pre) {
    const address = new Address(hexToBytes(addressHex as `0x${string}`));
    await sm.putAccount(address, new Account(acc.nonce, acc.balance));
    if (acc.code.length > 0) await sm.putCode(address, acc.code);
    for (const [slot, value] of acc.storage) {
      await sm.putStorage(address, hexToBytes(`0x${slot}`), bigIntToBytes(value));
    }
  }
  return sm;
}
