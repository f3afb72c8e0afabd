/**
 * The batch's net effect, applied to the pre-state trie once: the last write of every
 * location, per account in the order wipe → header → slots written after the wipe. This is
 * the only trie work of a parallel run (none happens per transaction). The header is the
 * pre-state account with the last write of each of its fields (keys.ts) laid over it.
 */
import type { MerkleStateManager } from '@ethereumjs/statemanager';
import { Account, Address, bigIntToBytes, hexToBytes } from '@ethereumjs/util';
import {
  type AccountField,
  type AccountValue,
  credited,
  EMPTY_CODE_HASH,
  isCredit,
  keyAddress,
  keyField,
  keySlot,
  NO_ACCOUNT,
  type Value,
} from './keys.ts';
import type { MVMemory } from './mvmemory.ts';

export interface AccountChanges {
  header?: AccountValue;
  wipeTx?: number;
  slots: [string, bigint, number][];
}

/** The pre-state account of an address (hex without 0x), undefined if it has none. */
export type PreAccount = (addr: string) => AccountValue | undefined;

export async function applyFinalWrites(
  sm: MerkleStateManager,
  mv: MVMemory,
  codes: (hash: string) => Uint8Array | undefined,
  preAccount: PreAccount,
  coinbase: string,
  totalFees: bigint,
): Promise<void> {
  const byAccount = batchChanges(mv, preAccount, coinbase, totalFees);
  for (const [addr, changes] of byAccount) await applyAccount(sm, addr, changes, codes);
}

/**
 * What the batch changed, per account, as every way of finishing a batch needs it (this trie,
 * finalState.ts, worldRoot.ts): the last writes grouped by account, the coinbase with its fees.
 */
export function batchChanges(
  mv: MVMemory,
  preAccount: PreAccount,
  coinbase: string,
  totalFees: bigint,
): Map<string, AccountChanges> {
  const byAccount = groupByAccount(mv.finalWrites(), preAccount);
  coinbaseWithFees(byAccount, coinbase, preAccount(coinbase) ?? NO_ACCOUNT, totalFees);
  return byAccount;
}

function groupByAccount(
  writes: Iterable<[string, Value, number]>,
  preAccount: PreAccount,
): Map<string, AccountChanges> {
  const out = new Map<string, AccountChanges>();
  const fields = new Map<string, Partial<Record<AccountField, Value>>>();
  for (const [key, value, tx] of writes) {
    const addr = keyAddress(key);
    let c = out.get(addr);
    if (c === undefined) {
      c = { slots: [] };
      out.set(addr, c);
    }
    const field = keyField(key);
    if (field !== undefined) {
      const f = fields.get(addr) ?? {};
      f[field] = value;
      fields.set(addr, f);
    } else if (key[0] === 'r') c.wipeTx = tx;
    else c.slots.push([keySlot(key), value as bigint, tx]);
  }
  for (const [addr, f] of fields) {
    const base = preAccount(addr) ?? NO_ACCOUNT;
    (out.get(addr) as AccountChanges).header = {
      exists: (f.e as boolean | undefined) ?? base.exists,
      nonce: (f.n as bigint | undefined) ?? base.nonce,
      balance: finalBalance(f.b, base.balance),
      codeHash: (f.c as string | undefined) ?? base.codeHash,
    };
  }
  return out;
}

/** The last balance write, or credits on the pre-state balance (mvmemory.ts finalWrites). */
function finalBalance(written: Value | undefined, pre: bigint): bigint {
  if (written === undefined) return pre;
  return isCredit(written) ? credited(pre, written.credit) : (written as bigint);
}

/** The coinbase's stored balance excludes the batch's fees (keys.ts): add them all now. */
function coinbaseWithFees(
  byAccount: Map<string, AccountChanges>,
  coinbase: string,
  preCoinbase: AccountValue,
  totalFees: bigint,
): void {
  const cb = byAccount.get(coinbase) ?? { slots: [] };
  const base = cb.header ?? preCoinbase;
  const balance = base.balance + totalFees;
  if (cb.header !== undefined || totalFees !== 0n) {
    cb.header = { ...base, balance, exists: base.exists || balance > 0n };
    byAccount.set(coinbase, cb);
  }
}

async function applyAccount(
  sm: MerkleStateManager,
  addr: string,
  c: AccountChanges,
  codes: (hash: string) => Uint8Array | undefined,
): Promise<void> {
  const address = new Address(hexToBytes(`0x${addr}`));
  if (c.header !== undefined && !c.header.exists) {
    await sm.deleteAccount(address);
    return; // deletion wipes storage; no slot can be written after it without recreation
  }
  if (c.wipeTx !== undefined && (await sm.getAccount(address)) !== undefined) {
    await sm.clearStorage(address);
  }
  if (c.header !== undefined) {
    const h = c.header;
    const current = (await sm.getAccount(address)) ?? new Account();
    current.nonce = h.nonce;
    current.balance = h.balance;
    await sm.putAccount(address, current);
    const currentCodeHash = Buffer.from(current.codeHash).toString('hex');
    if (h.codeHash !== currentCodeHash) {
      const code = h.codeHash === EMPTY_CODE_HASH ? new Uint8Array(0) : codes(h.codeHash);
      if (code === undefined) throw new Error(`missing code ${h.codeHash} for 0x${addr}`);
      await sm.putCode(address, code);
    }
  }
  for (const [slot, value, tx] of c.slots) {
    if (c.wipeTx !== undefined && tx < c.wipeTx) continue;
    await sm.putStorage(
      address,
      hexToBytes(`0x${slot}`),
      value === 0n ? new Uint8Array(0) : bigIntToBytes(value),
    );
  }
}
