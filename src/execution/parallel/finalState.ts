/**
 * The post-state root of a batch with an explicit `pre`, computed in one pass: the final
 * account set is `pre` overlaid with the last write of every location, and each trie is built
 * bottom-up (trie.ts). No trie database, no per-transaction trie work.
 */
import { bigIntToUnpaddedBytes } from '@ethereumjs/util';
import { encodeList, encodeString, type Keccak, TrieBuilder } from '../trie.ts';
import type { PreState } from '../types.ts';
import { type AccountChanges, batchChanges, type PreAccount } from './apply.ts';
import type { MVMemory } from './mvmemory.ts';

export function finalStateRoot(
  pre: PreState,
  preAccount: PreAccount,
  mv: MVMemory,
  coinbase: string,
  totalFees: bigint,
  keccak: Keccak,
): Uint8Array {
  const trie = new TrieBuilder(keccak);
  const changes = batchChanges(mv, preAccount, coinbase, totalFees);
  const accounts: [Uint8Array, Uint8Array][] = [];
  const addresses = new Set<string>([...[...pre.keys()].map((a) => a.slice(2)), ...changes.keys()]);
  for (const addr of addresses) {
    const p = pre.get(`0x${addr}`);
    const c = changes.get(addr);
    const header = c?.header ?? preAccount(addr);
    if (header === undefined || !header.exists) continue;
    const storageRoot = trie.secureRoot(finalSlots(p?.storage, c));
    const body = encodeList([
      encodeString(bigIntToUnpaddedBytes(header.nonce)),
      encodeString(bigIntToUnpaddedBytes(header.balance)),
      encodeString(storageRoot),
      encodeString(Buffer.from(header.codeHash, 'hex')),
    ]);
    accounts.push([Buffer.from(addr, 'hex'), body]);
  }
  return trie.secureRoot(accounts);
}

/** Storage after the batch: a wipe drops everything written before it, zero values vanish. */
function finalSlots(
  preStorage: Map<string, bigint> | undefined,
  c: AccountChanges | undefined,
): [Uint8Array, Uint8Array][] {
  const slots = new Map<string, bigint>(c?.wipeTx === undefined ? (preStorage ?? []) : []);
  for (const [slot, value, tx] of c?.slots ?? []) {
    if (c?.wipeTx !== undefined && tx < c.wipeTx) continue;
    slots.set(slot, value);
  }
  const out: [Uint8Array, Uint8Array][] = [];
  for (const [slot, value] of slots) {
    if (value !== 0n)
      out.push([Buffer.from(slot, 'hex'), encodeString(bigIntToUnpaddedBytes(value))]);
  }
  return out;
}
