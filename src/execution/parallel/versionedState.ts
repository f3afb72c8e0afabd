/**
 * The state manager a worker gives @ethereumjs/vm for one incarnation of one transaction.
 * Reads go to the worker's replica of multi-version memory (as seen by transaction `tx`) and
 * are recorded with the version they saw; writes stay in a checkpointed overlay and become the
 * incarnation's write set. Reading an ESTIMATE marker stops the incarnation: `blockedBy` names
 * the transaction to wait for.
 *
 * The coinbase is special (see keys.ts): its stored balance excludes the batch's fees. A read
 * during the transaction proper sees every earlier fee (`feeSum` is recorded and validated by
 * value); the read-modify-write that pays this transaction's own fee, after execution, only
 * needs to know whether the account is empty (`feeNonZero`), so paying fees does not make
 * consecutive transactions depend on each other.
 */
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import {
  Account,
  type Address,
  bigIntToUnpaddedBytes,
  bytesToBigInt,
  KECCAK256_RLP,
} from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';
import type { FeeLedger } from './fees.ts';
import {
  type AccountValue,
  accountKey,
  EMPTY_CODE_HASH,
  NO_ACCOUNT,
  sameAccount,
  slotKey,
  type Value,
  wipeKey,
} from './keys.ts';
import { type MVMemory, PRE } from './mvmemory.ts';
import type { PreView } from './preView.ts';

export interface ReadSet {
  /** location → [writer tx, incarnation], writer PRE for the batch's pre-state */
  versions: Map<string, [number, number]>;
  /** coinbase: sum of earlier fees seen by a read during execution */
  feeSum?: bigint;
  /** coinbase: whether the account was non-empty-by-balance when this tx paid its fee */
  feeNonZero?: boolean;
}

interface Layer {
  accounts: Map<string, AccountValue>;
  slots: Map<string, bigint>;
  wipes: Set<string>;
}

/** Any non-empty-trie marker: only compared against KECCAK256_RLP (EIP-7610 collision). */
const NON_EMPTY_STORAGE = new Uint8Array(32).fill(1);

export class DependencyError extends Error {
  constructor(readonly blocker: number) {
    super(`read an estimate of transaction ${blocker}`);
  }
}

export interface VersionedContext {
  mv: MVMemory;
  pre: PreView;
  fees: FeeLedger;
  codes: Map<string, Uint8Array>;
  coinbase: string;
  keccak256(data: Uint8Array): Uint8Array;
}

export class VersionedState implements StateManagerInterface {
  tx = 0;
  reads: ReadSet = { versions: new Map() };
  blockedBy: number | undefined;
  /** set once the top-level call returned: what follows is fee payment and clean-up */
  postPhase = false;
  /** runCall nesting depth, maintained by the worker's wrapper */
  callDepth = 0;
  private stack: Layer[] = [];
  private readCache = new Map<string, Value>();
  private resolvedSlots = new Map<string, bigint>();
  private coinbaseView: { account: AccountValue; offset: bigint } | undefined;
  private baseAccounts = new Map<string, AccountValue>();
  readonly newCodes = new Map<string, Uint8Array>();

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> =>
      bigIntToUnpaddedBytes(this.committedSlot(addrHex(address), slotHex(key))),
    clear: (): void => {},
  };

  constructor(private readonly ctx: VersionedContext) {}

  /** Start an incarnation of transaction `tx`. */
  begin(tx: number): void {
    this.tx = tx;
    this.reads = { versions: new Map() };
    this.blockedBy = undefined;
    this.postPhase = false;
    this.callDepth = 0;
    this.stack = [{ accounts: new Map(), slots: new Map(), wipes: new Set() }];
    this.readCache.clear();
    this.resolvedSlots.clear();
    this.baseAccounts.clear();
    this.newCodes.clear();
    this.coinbaseView = undefined;
  }

  // ---- reads from multi-version memory -------------------------------------------------

  /** Reads are repeatable within an incarnation: the first answer is kept. */
  private readLocation(key: string): Value | undefined {
    const seen = this.reads.versions.get(key);
    if (seen !== undefined) return seen[0] === PRE ? undefined : this.readCache.get(key);
    const r = this.ctx.mv.read(key, this.tx);
    if (r.kind === 'estimate') {
      this.blockedBy = r.blocker;
      throw new DependencyError(r.blocker);
    }
    if (r.kind === 'pre') {
      this.reads.versions.set(key, [PRE, 0]);
      return undefined;
    }
    this.reads.versions.set(key, [r.version.tx, r.version.inc]);
    this.readCache.set(key, r.value);
    return r.value;
  }

  /** The account as the batch left it before this transaction (coinbase: without fees). */
  private committedAccount(addr: string): AccountValue {
    const cached = this.baseAccounts.get(addr);
    if (cached !== undefined) return cached;
    const v = this.readLocation(accountKey(addr)) as AccountValue | undefined;
    const acc = v ?? this.ctx.pre.account(addr) ?? NO_ACCOUNT;
    this.baseAccounts.set(addr, acc);
    return acc;
  }

  private committedSlot(addr: string, slot: string): bigint {
    const key = slotKey(addr, slot);
    const cached = this.resolvedSlots.get(key);
    if (cached !== undefined) return cached;
    const value = this.resolveSlot(addr, slot, key);
    this.resolvedSlots.set(key, value);
    return value;
  }

  private resolveSlot(addr: string, slot: string, key: string): bigint {
    const written = this.readLocation(key) as bigint | undefined;
    const slotWriter = this.reads.versions.get(key)?.[0] ?? PRE;
    this.readLocation(wipeKey(addr));
    const wipeWriter = this.reads.versions.get(wipeKey(addr))?.[0] ?? PRE;
    // A transaction that wiped and then wrote a slot has both in its write set: the slot wins.
    if (wipeWriter > slotWriter) return 0n;
    if (written !== undefined) return written;
    return wipeWriter === PRE ? this.ctx.pre.slot(addr, slot) : 0n;
  }

  private earlierFees(): bigint {
    return this.ctx.fees.below(this.tx);
  }

  private coinbaseAccount(): AccountValue {
    if (this.coinbaseView !== undefined) return this.coinbaseView.account;
    const base = this.committedAccount(this.ctx.coinbase);
    const fees = this.earlierFees();
    let view: { account: AccountValue; offset: bigint };
    if (!this.postPhase) {
      this.reads.feeSum = fees;
      const balance = base.balance + fees;
      view = { account: { ...base, balance, exists: base.exists || balance > 0n }, offset: fees };
    } else {
      const nonZero = base.balance + fees > 0n;
      this.reads.feeNonZero = nonZero;
      // Only emptiness matters to fee payment: show a balance that is zero iff the real one is.
      const shown = base.balance > 0n ? base.balance : nonZero ? 1n : 0n;
      view = {
        account: { ...base, balance: shown, exists: base.exists || nonZero },
        offset: shown - base.balance,
      };
    }
    this.coinbaseView = view;
    return view.account;
  }

  private top(): Layer {
    return this.stack[this.stack.length - 1] as Layer;
  }

  private currentAccount(addr: string): AccountValue {
    const overlay = this.top().accounts.get(addr);
    if (overlay !== undefined) return overlay;
    if (addr === this.ctx.coinbase) return this.coinbaseAccount();
    return this.committedAccount(addr);
  }

  private storageIsEmpty(addr: string): boolean {
    if (!this.ctx.pre.hasStorage(addr)) return true;
    if (this.top().wipes.has(addr)) return true;
    this.readLocation(wipeKey(addr));
    return (this.reads.versions.get(wipeKey(addr))?.[0] ?? PRE) !== PRE;
  }

  // ---- StateManagerInterface -----------------------------------------------------------

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = addrHex(address);
    const a = this.currentAccount(addr);
    if (!a.exists) return undefined;
    const storageRoot = this.storageIsEmpty(addr) ? KECCAK256_RLP : NON_EMPTY_STORAGE;
    return new Account(a.nonce, a.balance, storageRoot, hexBytes(a.codeHash));
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const addr = addrHex(address);
    if (account === undefined) {
      this.top().accounts.set(addr, NO_ACCOUNT);
      return;
    }
    this.top().accounts.set(addr, {
      exists: true,
      nonce: account.nonce,
      balance: account.balance,
      codeHash: Buffer.from(account.codeHash).toString('hex'),
    });
  }

  async deleteAccount(address: Address): Promise<void> {
    const addr = addrHex(address);
    this.top().accounts.set(addr, NO_ACCOUNT);
    this.wipe(addr);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  async putCode(address: Address, code: Uint8Array): Promise<void> {
    const hash = Buffer.from(this.ctx.keccak256(code)).toString('hex');
    this.newCodes.set(hash, code);
    this.ctx.codes.set(hash, code);
    const account = (await this.getAccount(address)) ?? new Account();
    account.codeHash = hexBytes(hash);
    await this.putAccount(address, account);
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const a = this.currentAccount(addrHex(address));
    if (!a.exists || a.codeHash === EMPTY_CODE_HASH) return new Uint8Array(0);
    const code = this.ctx.codes.get(a.codeHash) ?? this.ctx.pre.code(a.codeHash);
    if (code === undefined) throw new ExecutionFault(`code ${a.codeHash} not in the replica`);
    return code;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const addr = addrHex(address);
    const slot = slotHex(key);
    const layer = this.top();
    const local = layer.slots.get(slotKey(addr, slot));
    if (local !== undefined) return bigIntToUnpaddedBytes(local);
    if (layer.wipes.has(addr)) return new Uint8Array(0);
    return bigIntToUnpaddedBytes(this.committedSlot(addr, slot));
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.top().slots.set(slotKey(addrHex(address), slotHex(key)), bytesToBigInt(value));
  }

  async clearStorage(address: Address): Promise<void> {
    this.wipe(addrHex(address));
  }

  private wipe(addr: string): void {
    const layer = this.top();
    layer.wipes.add(addr);
    const prefix = `s${addr}`;
    for (const k of layer.slots.keys()) if (k.startsWith(prefix)) layer.slots.delete(k);
  }

  async checkpoint(): Promise<void> {
    const t = this.top();
    this.stack.push({
      accounts: new Map(t.accounts),
      slots: new Map(t.slots),
      wipes: new Set(t.wipes),
    });
  }

  async commit(): Promise<void> {
    this.stack.splice(-2, 1);
  }

  async revert(): Promise<void> {
    this.stack.pop();
  }

  async getStateRoot(): Promise<Uint8Array> {
    throw new Error('state roots are computed once per batch, not per transaction');
  }

  async setStateRoot(): Promise<void> {
    throw new Error('not supported on a versioned view');
  }

  async hasStateRoot(): Promise<boolean> {
    throw new Error('not supported on a versioned view');
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    return this;
  }

  // ---- the incarnation's write set -----------------------------------------------------

  /** Locations this incarnation changed, given its own fee (results.minerValue). */
  writeSet(fee: bigint): [string, Value][] {
    const layer = this.stack[0] as Layer;
    const writes: [string, Value][] = [];
    for (const addr of layer.wipes) writes.push([wipeKey(addr), true]);
    for (const [addr, finalAcc] of layer.accounts) {
      const base = this.committedAccount(addr);
      const value = addr === this.ctx.coinbase ? this.coinbaseBase(finalAcc, base, fee) : finalAcc;
      if (!sameAccount(value, base)) writes.push([accountKey(addr), value]);
    }
    for (const [key, value] of layer.slots) {
      const addr = key.slice(1, 41);
      if (layer.wipes.has(addr) || value !== this.committedSlot(addr, key.slice(41))) {
        writes.push([key, value]);
      }
    }
    return writes;
  }

  /** Turn the coinbase's final account back into its stored (fee-less) form. */
  private coinbaseBase(finalAcc: AccountValue, base: AccountValue, fee: bigint): AccountValue {
    const offset = this.coinbaseView?.offset ?? 0n;
    const balance = finalAcc.balance - offset - fee;
    // A positive balance implies existence; keep the stored flag for what it alone decides.
    const exists =
      finalAcc.exists &&
      (finalAcc.balance === 0n ||
        base.exists ||
        finalAcc.nonce > 0n ||
        finalAcc.codeHash !== EMPTY_CODE_HASH);
    return { exists, nonce: finalAcc.nonce, balance, codeHash: finalAcc.codeHash };
  }
}

function addrHex(address: Address): string {
  return Buffer.from(address.bytes).toString('hex');
}

function slotHex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex').padStart(64, '0');
}

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
