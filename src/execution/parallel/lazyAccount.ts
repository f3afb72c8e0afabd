/**
 * The `Account` a worker's state manager hands to @ethereumjs/vm: every field is read from
 * multi-version memory only when the EVM first looks at it, so a transaction depends on the
 * fields it used (keys.ts) rather than on the whole account.
 *
 * A field known when the account was read (this transaction had set it) is given up front;
 * every other field is the committed value, the state the batch left before this transaction,
 * which does not change during an incarnation. Resolving it later therefore yields exactly what
 * an eager read would have returned at `getAccount` time.
 */
import { Account, equalsBytes, KECCAK256_NULL, KECCAK256_RLP } from '@ethereumjs/util';
import { ExecutionFault } from '../errors.ts';
import type { AccountField, FieldValue } from './keys.ts';

/** What a lazy account reads through: the state manager of the incarnation that made it. */
export interface CommittedFields {
  /** incremented by every new incarnation: a lazy account must not outlive its own */
  readonly epoch: number;
  field(addr: string, field: AccountField): FieldValue;
  /** the committed balance plus `credit` (a fault if that overflows, see keys.ts) */
  creditedBalance(addr: string, credit: bigint): bigint;
  /** this incarnation has read the committed balance (it depends on it already) */
  balanceRead(addr: string): boolean;
  /** the committed storage is empty (a wipe, or none in the pre-state) */
  storageEmpty(addr: string): boolean;
}

export interface KnownFields {
  nonce?: bigint;
  balance?: bigint;
  codeHash?: string;
  /** with no `balance`: value added to the committed balance without reading it (keys.ts) */
  credit?: bigint;
}

/** Any non-empty-trie marker: only compared against KECCAK256_RLP (EIP-7610 collision). */
const NON_EMPTY_STORAGE = new Uint8Array(32).fill(1);

/** The storage root an account shows the EVM: only emptiness is ever looked at. */
export function storageRootMark(empty: boolean): Uint8Array {
  return empty ? KECCAK256_RLP : NON_EMPTY_STORAGE;
}

export class LazyAccount extends Account {
  private readonly source: CommittedFields;
  private readonly epoch: number;
  /** value added while the balance was not loaded: balance = committed + pendingCredit */
  private pendingCredit: bigint;

  constructor(
    source: CommittedFields,
    readonly addr: string,
    known: KnownFields,
    /** storage wiped by this transaction before the account was read */
    private readonly wipedHere: boolean,
  ) {
    // null marks a field as not loaded yet (the partial-account convention of Account).
    super(
      known.nonce ?? null,
      known.balance ?? null,
      null,
      known.codeHash === undefined ? null : bytesOf(known.codeHash),
      null,
      0,
    );
    this.source = source;
    this.epoch = source.epoch;
    this.pendingCredit = known.balance === undefined ? (known.credit ?? 0n) : 0n;
  }

  private checkEpoch(): void {
    if (this.source.epoch !== this.epoch) {
      throw new ExecutionFault(`account 0x${this.addr} read after its transaction ended`);
    }
  }

  private committed(field: AccountField): FieldValue {
    this.checkEpoch();
    return this.source.field(this.addr, field);
  }

  /**
   * Adds `value` without reading the balance, if it is not loaded yet: the credit commutes
   * with other credits to this account (keys.ts). False if the balance is already known, to
   * this object or to the incarnation (another object read it): then the caller adds to it as
   * usual, so an overflow fails the credit at once, as in the EVM, instead of being found
   * only when the credits are summed (a re-run of the whole batch).
   */
  deferCredit(value: bigint): boolean {
    if (this._balance !== null || this.source.balanceRead(this.addr)) return false;
    this.pendingCredit += value;
    return true;
  }

  override get nonce(): bigint {
    if (this._nonce === null) this._nonce = this.committed('n') as bigint;
    return this._nonce;
  }
  override set nonce(value: bigint) {
    this._nonce = value;
  }

  override get balance(): bigint {
    if (this._balance === null) {
      this.checkEpoch();
      this._balance = this.source.creditedBalance(this.addr, this.pendingCredit);
      this.pendingCredit = 0n;
    }
    return this._balance;
  }
  override set balance(value: bigint) {
    this._balance = value;
  }

  override get codeHash(): Uint8Array {
    if (this._codeHash === null) {
      this._codeHash = bytesOf(this.committed('c') as string);
    }
    return this._codeHash;
  }
  override set codeHash(value: Uint8Array) {
    this._codeHash = value;
  }

  override get storageRoot(): Uint8Array {
    if (this._storageRoot === null) {
      const empty = this.wipedHere || this.source.storageEmpty(this.addr);
      this._storageRoot = storageRootMark(empty);
    }
    return this._storageRoot;
  }
  override set storageRoot(value: Uint8Array) {
    this._storageRoot = value;
  }

  override isContract(): boolean {
    return !equalsBytes(this.codeHash, KECCAK256_NULL);
  }

  /**
   * EIP-161 emptiness. The same conjunction as Account.isEmpty, tested code first: a contract
   * is decided by its code alone, and an account just credited by its credit, so the
   * end-of-transaction check of an account touched by a call does not read (and depend on)
   * its balance.
   */
  override isEmpty(): boolean {
    if (this.isContract()) return false;
    // a pending credit is positive and balances are never negative: not empty, nothing read
    if (this._balance === null && this.pendingCredit > 0n) return false;
    return this.nonce === 0n && this.balance === 0n;
  }

  /** The fields set or loaded so far; the others still mean "the committed value". */
  loaded(): KnownFields {
    const out: KnownFields = {};
    if (this._nonce !== null) out.nonce = this._nonce;
    if (this._balance !== null) out.balance = this._balance;
    else if (this.pendingCredit !== 0n) out.credit = this.pendingCredit;
    if (this._codeHash !== null) out.codeHash = Buffer.from(this._codeHash).toString('hex');
    return out;
  }

  belongsTo(source: CommittedFields): boolean {
    return this.source === source && this.epoch === source.epoch;
  }
}

export function bytesOf(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
