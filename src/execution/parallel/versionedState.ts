/**
 * The state manager a worker gives @ethereumjs/vm for one incarnation of one transaction.
 * Reads go to the worker's replica of multi-version memory (committedReads.ts), one location
 * per account field and storage slot (keys.ts); accounts are handed out lazily
 * (lazyAccount.ts), so a field the EVM never looks at is never read. Writes stay in a
 * checkpointed overlay and become the incarnation's write set.
 *
 * The coinbase is special (see keys.ts): its stored balance excludes the batch's fees. A read
 * during the transaction proper sees every earlier fee (`feeSum` is recorded and validated by
 * value); the read-modify-write that pays this transaction's own fee, after execution, only
 * needs to know whether the account is empty (`feeNonZero`), so paying fees does not make
 * consecutive transactions depend on each other. The coinbase is always read whole.
 */
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common';
import { Account, type Address, bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util';
import { CreditOverflow, ExecutionFault } from '../errors.ts';
import { CommittedReads, type ReadSet } from './committedReads.ts';
import type { FeeLedger } from './fees.ts';
import {
  type AccountField,
  type AccountValue,
  accountOf,
  EMPTY_CODE_HASH,
  type FieldValue,
  fieldKey,
  fieldOf,
  slotKey,
  type Value,
  wipeKey,
} from './keys.ts';
import { bytesOf, type KnownFields, LazyAccount, storageRootMark } from './lazyAccount.ts';
import type { MVMemory } from './mvmemory.ts';
import type { PreView } from './preView.ts';

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

export interface VersionedContext {
  mv: MVMemory;
  pre: PreView;
  fees: FeeLedger;
  codes: Map<string, Uint8Array>;
  coinbase: string;
  keccak256(data: Uint8Array): Uint8Array;
}

export class VersionedState implements StateManagerInterface {
  /** what the batch left before this transaction, read from multi-version memory */
  private readonly committed: CommittedReads;
  /** set once the top-level call returned: what follows is fee payment and clean-up */
  postPhase = false;
  /** runCall nesting depth, maintained by the worker's wrapper */
  callDepth = 0;
  private stack: Layer[] = [];
  private coinbaseView: { account: AccountValue; offset: bigint } | undefined;
  readonly newCodes = new Map<string, Uint8Array>();

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> =>
      bigIntToUnpaddedBytes(this.committed.slot(addrHex(address), slotHex(key))),
    clear: (): void => {},
  };

  constructor(private readonly ctx: VersionedContext) {
    this.committed = new CommittedReads(ctx.mv, ctx.pre);
  }

  get reads(): ReadSet {
    return this.committed.reads;
  }

  /** set when a read met an ESTIMATE: the transaction to wait for */
  get blockedBy(): number | undefined {
    return this.committed.blockedBy;
  }

  /** a deferred credit overflowed a balance (errors.ts CREDIT_OVERFLOW); the EVM may swallow
   *  the throw, so the worker checks this flag, as it checks `blockedBy` */
  get overflowed(): boolean {
    return this.committed.overflowed;
  }

  /** Start an incarnation of transaction `tx`. */
  begin(tx: number): void {
    this.committed.begin(tx);
    this.postPhase = false;
    this.callDepth = 0;
    this.stack = [{ accounts: new Map(), slots: new Map(), wipes: new Set() }];
    this.newCodes.clear();
    this.coinbaseView = undefined;
  }

  private earlierFees(): bigint {
    return this.ctx.fees.below(this.committed.tx);
  }

  private coinbaseAccount(): AccountValue {
    if (this.coinbaseView !== undefined) return this.coinbaseView.account;
    const base = this.committed.account(this.ctx.coinbase);
    const fees = this.earlierFees();
    let view: { account: AccountValue; offset: bigint };
    if (!this.postPhase) {
      this.committed.reads.feeSum = fees;
      const balance = base.balance + fees;
      view = { account: { ...base, balance, exists: base.exists || balance > 0n }, offset: fees };
    } else {
      const nonZero = base.balance + fees > 0n;
      this.committed.reads.feeNonZero = nonZero;
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
      const set = fieldOf(overlay, field);
      if (set !== undefined) return set;
      if (field === 'b' && overlay.credit !== undefined) {
        return this.committed.creditedBalance(addr, overlay.credit);
      }
    }
    if (addr === this.ctx.coinbase) return fieldOf(this.coinbaseAccount(), field);
    return this.committed.field(addr, field);
  }

  /** The coinbase, read whole (its balance is a view over the fees, see above). */
  private coinbaseNow(): AccountValue {
    return accountOf((field) => this.currentField(this.ctx.coinbase, field));
  }

  private storageIsEmpty(addr: string): boolean {
    return this.top().wipes.has(addr) || this.committed.storageEmpty(addr);
  }

  // ---- StateManagerInterface -----------------------------------------------------------

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = addrHex(address);
    if (addr === this.ctx.coinbase) {
      const a = this.coinbaseNow();
      if (!a.exists) return undefined;
      const storageRoot = storageRootMark(this.storageIsEmpty(addr));
      return new Account(a.nonce, a.balance, storageRoot, bytesOf(a.codeHash));
    }
    if (!(this.currentField(addr, 'e') as boolean)) return undefined;
    const layer = this.top();
    return new LazyAccount(
      this.committed,
      addr,
      layer.accounts.get(addr) ?? {},
      layer.wipes.has(addr),
    );
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
    if (!account.belongsTo(this.committed) || account.addr !== addr) {
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
    account.codeHash = bytesOf(hash);
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
    return bigIntToUnpaddedBytes(this.committed.slot(addr, slot));
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
    const dropped = this.stack.pop() as Layer;
    this.checkDroppedCredits(dropped, this.top());
  }

  /**
   * The EVM checks a credit against 2^256 - 1 when it makes it, and then never runs the
   * callee; a deferred credit is checked only when summed. One that a revert drops is summed
   * here (a read of the committed balance, only on this path), so an overflow it hid still
   * becomes the CREDIT_OVERFLOW fault on which the batch re-runs without credits.
   */
  private checkDroppedCredits(dropped: Layer, kept: Layer): void {
    for (const [addr, account] of dropped.accounts) {
      if (account.balance !== undefined || account.credit === undefined) continue;
      const before = kept.accounts.get(addr);
      if (before?.balance === undefined && before?.credit === account.credit) continue;
      try {
        this.committed.creditedBalance(addr, account.credit);
      } catch (error) {
        if (!(error instanceof CreditOverflow)) throw error; // an ESTIMATE: blockedBy is set
      }
    }
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
      if (layer.wipes.has(addr) || value !== this.committed.slot(addr, key.slice(41))) {
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
      const value = fieldOf(final, field);
      if (value === undefined) continue;
      if (this.committed.known(addr, field) !== value) writes.push([fieldKey(field, addr), value]);
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
    const base = this.committed.account(addr);
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

function addrHex(address: Address): string {
  return Buffer.from(address.bytes).toString('hex');
}

function slotHex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex').padStart(64, '0');
}
