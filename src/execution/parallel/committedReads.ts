/**
 * What the batch left before one transaction, as an incarnation of it reads it from its
 * worker's replica of multi-version memory: account fields, balances through their credits,
 * storage slots and wipes. Every read is recorded with the version it saw (the read set that
 * validation checks) and kept, so reads are repeatable within an incarnation. Reading an
 * ESTIMATE marker stops the incarnation: `blockedBy` names the transaction to wait for.
 */
import { CreditOverflow } from '../errors.ts';
import {
  type AccountField,
  type AccountValue,
  accountOf,
  credited,
  existsKey,
  type FieldValue,
  fieldKey,
  fieldOf,
  NO_ACCOUNT,
  slotKey,
  type Value,
  wipeKey,
} from './keys.ts';
import type { CommittedFields } from './lazyAccount.ts';
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

export class DependencyError extends Error {
  constructor(readonly blocker: number) {
    super(`read an estimate of transaction ${blocker}`);
  }
}

export class CommittedReads implements CommittedFields {
  tx = 0;
  /** incremented by every incarnation: lazy accounts must not outlive theirs */
  epoch = 0;
  reads: ReadSet = { versions: new Map(), chains: new Map() };
  blockedBy: number | undefined;
  /** a deferred credit overflowed a balance (errors.ts CREDIT_OVERFLOW) */
  overflowed = false;
  private readCache = new Map<string, Value>();
  private resolvedSlots = new Map<string, bigint>();
  /** field values already resolved, by location */
  private resolvedFields = new Map<string, FieldValue>();

  constructor(
    private readonly mv: MVMemory,
    private readonly pre: PreView,
  ) {}

  begin(tx: number): void {
    this.tx = tx;
    this.epoch++;
    this.reads = { versions: new Map(), chains: new Map() };
    this.blockedBy = undefined;
    this.overflowed = false;
    this.readCache.clear();
    this.resolvedSlots.clear();
    this.resolvedFields.clear();
  }

  /** Reads are repeatable within an incarnation: the first answer is kept. */
  private readLocation(key: string): Value | undefined {
    const seen = this.reads.versions.get(key);
    if (seen !== undefined) return seen[0] === PRE ? undefined : this.readCache.get(key);
    const r = this.mv.read(key, this.tx);
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
  field(addr: string, field: AccountField): FieldValue {
    const key = fieldKey(field, addr);
    const cached = this.resolvedFields.get(key);
    if (cached !== undefined) return cached;
    const value =
      field === 'b'
        ? this.readBalance(addr, key)
        : ((this.readLocation(key) as FieldValue | undefined) ??
          fieldOf(this.pre.account(addr) ?? NO_ACCOUNT, field));
    this.resolvedFields.set(key, value);
    return value;
  }

  /** A balance through any credits above it (mvmemory.ts readBalance), recorded for validation. */
  private readBalance(addr: string, key: string): bigint {
    const r = this.mv.readBalance(key, this.tx);
    if (r.kind === 'estimate') {
      this.blockedBy = r.blocker;
      throw new DependencyError(r.blocker);
    }
    const [writer, inc] = r.chain;
    this.reads.versions.set(key, writer === undefined ? [PRE, 0] : [writer, inc as number]);
    const summedCredits = r.chain.length > (r.absolute === undefined ? 0 : 2);
    if (summedCredits) this.reads.chains.set(key, r.chain);
    const base = r.absolute ?? (this.pre.account(addr) ?? NO_ACCOUNT).balance;
    return this.checkedCredit(base, r.credit);
  }

  /** The committed balance plus a credit of this transaction (LazyAccount, currentField). */
  creditedBalance(addr: string, credit: bigint): bigint {
    return this.checkedCredit(this.field(addr, 'b') as bigint, credit);
  }

  balanceRead(addr: string): boolean {
    return this.resolvedFields.has(fieldKey('b', addr));
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

  account(addr: string): AccountValue {
    return accountOf((field) => this.field(addr, field));
  }

  /**
   * A committed field this incarnation already knows without a new read: resolved before, or
   * zero because the account is known not to exist (the invariant of keys.ts).
   */
  known(addr: string, field: AccountField): FieldValue | undefined {
    const resolved = this.resolvedFields.get(fieldKey(field, addr));
    if (resolved !== undefined || field === 'e') return resolved;
    return this.resolvedFields.get(existsKey(addr)) === false
      ? fieldOf(NO_ACCOUNT, field)
      : undefined;
  }

  slot(addr: string, slot: string): bigint {
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
    return wipeWriter === PRE ? this.pre.slot(addr, slot) : 0n;
  }

  /** The committed storage is empty: none in the pre-state, or wiped earlier in the batch. */
  storageEmpty(addr: string): boolean {
    if (!this.pre.hasStorage(addr)) return true;
    this.readLocation(wipeKey(addr));
    return (this.reads.versions.get(wipeKey(addr))?.[0] ?? PRE) !== PRE;
  }
}
