/**
 * The state manager a worker gives @ethereumjs/vm for one incarnation of one transaction.
 * Reads go to the worker's replica of multi-version memory (as seen by transaction `tx`) and
 * are recorded with the version they saw, one location per account field and storage slot
 * (keys.ts); accounts are handed out lazily (lazyAccount.ts), so a field the EVM never looks
 * at is never read. Writes stay in a checkpointed overlay and become the incarnation's write
 * set. Reading an ESTIMATE marker stops the incarnation: `blockedBy` names the transaction to
 * wait for.
 *
 * The coinbase is special (see keys.ts): its stored balance excludes the batch's fees. A read
 * during the transaction proper sees every earlier fee (`feeSum` is recorded and validated by
 * value); the read-modify-write that pays this transaction's own fee, after execution, only
 * needs to know whether the account is empty (`feeNonZero`), so paying fees does not make
 * consecutive transactions depend on each other. The coinbase is always read whole.
 */
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import {
  Account,
  type Address,
  bigIntToUnpaddedBytes,
  bytesToBigInt,
  KECCAK256_RLP,
} from '@ethereumjs/util';
import { CreditOverflow, ExecutionFault } from '../errors.ts';
import type { FeeLedger } from './fees.ts';
import {
  type AccountField,
  type AccountValue,
  credited,
  EMPTY_CODE_HASH,
  existsKey,
  type FieldValue,
  fieldKey,
  fieldOf,
  NO_ACCOUNT,
  slotKey,
  type Value,
  wipeKey,
} from './keys.ts';
import { type CommittedFields, type KnownFields, LazyAccount } from './lazyAccount.ts';
import { type MVMemory, PRE } from './mvmemory.ts';
import type { PreView } from './preView.ts';

export interface ReadSet {
  /** location → [writer tx, incarnation], writer PRE for the batch's pre-state */
  versions: Map<string, [number, number]>;
  /** coinbase: sum of earlier fees seen by a read during execution */
  feeSum?: bigint;
  /** coinbase: whether the account was non-empty-by-balance when this tx paid its fee */
  feeNonZero?: boolean;
  /** balances read through credits: the (writer, incarnation) chain each one summed */
  chains: Map<string, number[]>;
}

/** An account as this transaction left it: existence always, a field once it was set. */
interface OverlayAccount extends KnownFields {
  exists: boolean;
}

interface Layer {
  accounts: Map<string, OverlayAccount>;
  slots: Map<string, bigint>;
  wipes: Set<string>;
}

const FIELDS: AccountField[] = ['e', 'n', 'b', 'c'];
const DELETED: OverlayAccount = {
  exists: false,
  nonce: 0n,
  balance: 0n,
  codeHash: EMPTY_CODE_HASH,
};

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

export class VersionedState implements StateManagerInterface, CommittedFields {
  tx = 0;
  epoch = 0;
  reads: ReadSet = { versions: new Map(), chains: new Map() };
  blockedBy: number | undefined;
  /** set once the top-level call returned: what follows is fee payment and clean-up */
  postPhase = false;
  /** runCall nesting depth, maintained by the worker's wrapper */
  callDepth = 0;
  /** a deferred credit overflowed a balance (keys.ts CREDIT_OVERFLOW); the EVM may swallow
   *  the throw, so the worker checks this flag, as it checks `blockedBy` */
  overflowed = false;
  private stack: Layer[] = [];
  private readCache = new Map<string, Value>();
  private resolvedSlots = new Map<string, bigint>();
  /** committed field values already resolved, by location */
  private resolvedFields = new Map<string, FieldValue>();
  private coinbaseView: { account: AccountValue; offset: bigint } | undefined;
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
    this.epoch++;
    this.reads = { versions: new Map(), chains: new Map() };
    this.overflowed = false;
    this.blockedBy = undefined;
    this.postPhase = false;
    this.callDepth = 0;
    this.stack = [{ accounts: new Map(), slots: new Map(), wipes: new Set() }];
    this.readCache.clear();
    this.resolvedSlots.clear();
    this.resolvedFields.clear();
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

  /** A field as the batch left it before this transaction (coinbase: without fees). */
  committedField(addr: string, field: AccountField): FieldValue {
    const key = fieldKey(field, addr);
    const cached = this.resolvedFields.get(key);
    if (cached !== undefined) return cached;
    const value =
      field === 'b'
        ? this.readBalance(addr, key)
        : ((this.readLocation(key) as FieldValue | undefined) ??
          fieldOf(this.ctx.pre.account(addr) ?? NO_ACCOUNT, field));
    this.resolvedFields.set(key, value);
    return value;
  }

  /** A balance through any credits above it (mvmemory.ts readBalance), recorded for validation. */
  private readBalance(addr: string, key: string): bigint {
    const r = this.ctx.mv.readBalance(key, this.tx);
    if (r.kind === 'estimate') {
      this.blockedBy = r.blocker;
      throw new DependencyError(r.blocker);
    }
    const [writer, inc] = r.chain;
    this.reads.versions.set(key, writer === undefined ? [PRE, 0] : [writer, inc as number]);
    const summedCredits = r.chain.length > (r.absolute === undefined ? 0 : 2);
    if (summedCredits) this.reads.chains.set(key, r.chain);
    const base = r.absolute ?? (this.ctx.pre.account(addr) ?? NO_ACCOUNT).balance;
    return this.checkedCredit(base, r.credit);
  }

  /** The committed balance plus a credit of this transaction (LazyAccount, currentField). */
  creditedBalance(addr: string, credit: bigint): bigint {
    return this.checkedCredit(this.committedField(addr, 'b') as bigint, credit);
  }

  private checkedCredit(balance: bigint, credit: bigint): bigint {
    if (credit === 0n) return balance;
    try {
      return credited(balance, credit);
    } catch (error) {
      if (error instanceof CreditOverflow) this.overflowed = true;
      throw error;
    }
  }

  private committedAccount(addr: string): AccountValue {
    return {
      exists: this.committedField(addr, 'e') as boolean,
      nonce: this.committedField(addr, 'n') as bigint,
      balance: this.committedField(addr, 'b') as bigint,
      codeHash: this.committedField(addr, 'c') as string,
    };
  }

  /**
   * A committed field this incarnation already knows without a new read: resolved before, or
   * zero because the account is known not to exist (the invariant of keys.ts).
   */
  private knownCommitted(addr: string, field: AccountField): FieldValue | undefined {
    const resolved = this.resolvedFields.get(fieldKey(field, addr));
    if (resolved !== undefined || field === 'e') return resolved;
    return this.resolvedFields.get(existsKey(addr)) === false
      ? fieldOf(NO_ACCOUNT, field)
      : undefined;
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

  /** The committed storage is empty: none in the pre-state, or wiped earlier in the batch. */
  committedStorageEmpty(addr: string): boolean {
    if (!this.ctx.pre.hasStorage(addr)) return true;
    this.readLocation(wipeKey(addr));
    return (this.reads.versions.get(wipeKey(addr))?.[0] ?? PRE) !== PRE;
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

  /** A field as this transaction sees it now. */
  private currentField(addr: string, field: AccountField): FieldValue {
    const overlay = this.top().accounts.get(addr);
    if (overlay !== undefined) {
      const set = overlayField(overlay, field);
      if (set !== undefined) return set;
      if (field === 'b' && overlay.credit !== undefined) {
        return this.creditedBalance(addr, overlay.credit);
      }
    }
    if (addr === this.ctx.coinbase) return fieldOf(this.coinbaseAccount(), field);
    return this.committedField(addr, field);
  }

  /** The coinbase, read whole (its balance is a view over the fees, see above). */
  private coinbaseNow(): AccountValue {
    const addr = this.ctx.coinbase;
    return {
      exists: this.currentField(addr, 'e') as boolean,
      nonce: this.currentField(addr, 'n') as bigint,
      balance: this.currentField(addr, 'b') as bigint,
      codeHash: this.currentField(addr, 'c') as string,
    };
  }

  private storageIsEmpty(addr: string): boolean {
    return this.top().wipes.has(addr) || this.committedStorageEmpty(addr);
  }

  // ---- StateManagerInterface -----------------------------------------------------------

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = addrHex(address);
    if (addr === this.ctx.coinbase) {
      const a = this.coinbaseNow();
      if (!a.exists) return undefined;
      const storageRoot = this.storageIsEmpty(addr) ? KECCAK256_RLP : NON_EMPTY_STORAGE;
      return new Account(a.nonce, a.balance, storageRoot, hexBytes(a.codeHash));
    }
    if (!(this.currentField(addr, 'e') as boolean)) return undefined;
    const layer = this.top();
    return new LazyAccount(this, addr, layer.accounts.get(addr) ?? {}, layer.wipes.has(addr));
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const addr = addrHex(address);
    if (account === undefined) {
      this.top().accounts.set(addr, DELETED);
      return;
    }
    if (account instanceof LazyAccount) {
      this.top().accounts.set(addr, this.fromLazy(addr, account));
      return;
    }
    this.top().accounts.set(addr, {
      exists: true,
      nonce: account.nonce,
      balance: account.balance,
      codeHash: Buffer.from(account.codeHash).toString('hex'),
    });
  }

  /**
   * A lazy account's unloaded fields are the committed values: the overlay had no newer ones
   * when the account was read. The put replaces the overlay entry whole, so leaving them out
   * of it restores exactly the values the object held, as putting an eager account would.
   */
  private fromLazy(addr: string, account: LazyAccount): OverlayAccount {
    if (!account.belongsTo(this) || account.addr !== addr) {
      throw new ExecutionFault(
        `account 0x${account.addr} put outside the incarnation that read it`,
      );
    }
    return { exists: true, ...account.loaded() };
  }

  async deleteAccount(address: Address): Promise<void> {
    const addr = addrHex(address);
    this.top().accounts.set(addr, DELETED);
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
    // No existence check: an account that does not exist has the empty code hash (keys.ts).
    const codeHash = this.currentField(addrHex(address), 'c') as string;
    if (codeHash === EMPTY_CODE_HASH) return new Uint8Array(0);
    const code = this.ctx.codes.get(codeHash) ?? this.ctx.pre.code(codeHash);
    if (code === undefined) throw new ExecutionFault(`code ${codeHash} not in the replica`);
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
    for (const [addr, final] of layer.accounts) {
      if (addr === this.ctx.coinbase) this.coinbaseWrites(final, fee, writes);
      else this.accountWrites(addr, final, writes);
    }
    for (const [key, value] of layer.slots) {
      const addr = key.slice(1, 41);
      if (layer.wipes.has(addr) || value !== this.committedSlot(addr, key.slice(41))) {
        writes.push([key, value]);
      }
    }
    return writes;
  }

  /**
   * The fields this transaction set, except those known to be unchanged. A field whose old
   * value this incarnation never read is written as it is: a redundant write costs at most a
   * re-validation, while a read taken only to compare would add a dependency.
   */
  private accountWrites(addr: string, final: OverlayAccount, writes: [string, Value][]): void {
    for (const field of FIELDS) {
      const value = overlayField(final, field);
      if (value === undefined) continue;
      if (this.knownCommitted(addr, field) !== value) writes.push([fieldKey(field, addr), value]);
    }
    if (final.balance === undefined && final.credit !== undefined && final.credit !== 0n) {
      writes.push([fieldKey('b', addr), { credit: final.credit }]);
    }
  }

  /** The coinbase's final fields, turned back into their stored (fee-less) form. */
  private coinbaseWrites(final: OverlayAccount, fee: bigint, writes: [string, Value][]): void {
    const addr = this.ctx.coinbase;
    const view = this.coinbaseAccount();
    const finalAcc: AccountValue = {
      exists: final.exists,
      nonce: final.nonce ?? view.nonce,
      balance: final.balance ?? view.balance,
      codeHash: final.codeHash ?? view.codeHash,
    };
    const base = this.committedAccount(addr);
    const stored = this.coinbaseBase(finalAcc, base, fee);
    for (const field of FIELDS) {
      const value = fieldOf(stored, field);
      if (value !== fieldOf(base, field)) writes.push([fieldKey(field, addr), value]);
    }
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

/** A field this transaction set (a credit is not a value of the field: see currentField). */
function overlayField(account: OverlayAccount, field: AccountField): FieldValue | undefined {
  switch (field) {
    case 'e':
      return account.exists;
    case 'n':
      return account.nonce;
    case 'b':
      return account.balance;
    case 'c':
      return account.codeHash;
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
