/**
 * Multi-version memory (Block-STM, Gelashvili et al. 2022, section 3). For every location the
 * values written by each transaction, tagged with the incarnation that wrote them; an aborted
 * incarnation's writes become ESTIMATE markers that make readers wait instead of reading a
 * value that is probably about to change.
 *
 * The coordinator owns the authoritative copy; every worker holds a replica fed by the
 * coordinator's broadcasts. A replica may lag: that only makes a speculative read stale, and
 * the coordinator's validation against its own copy catches it.
 */
import { credited, isCredit, MAX_BALANCE, type Value } from './keys.ts';

export const PRE = -1;

export interface Version {
  tx: number;
  inc: number;
}

interface Entry {
  inc: number;
  value: Value;
  estimate: boolean;
}

/**
 * A balance as transaction `tx` sees it through deferred credits (keys.ts): the last absolute
 * value below `tx` (none: the pre-state's) plus every credit above it. `chain` lists the
 * entries read, top down, as (writer, incarnation) pairs: validation compares it whole.
 */
export type BalanceRead =
  | { kind: 'estimate'; blocker: number }
  | { kind: 'resolved'; absolute: bigint | undefined; credit: bigint; chain: number[] };

/** The result of reading a location as transaction `tx` sees it. */
export type ReadResult =
  | { kind: 'pre' }
  | { kind: 'value'; version: Version; value: Value }
  | { kind: 'estimate'; blocker: number };

class Versions {
  /** writer transaction indices, ascending */
  readonly writers: number[] = [];
  readonly entries = new Map<number, Entry>();

  put(tx: number, entry: Entry): void {
    if (!this.entries.has(tx)) this.writers.splice(upperBound(this.writers, tx), 0, tx);
    this.entries.set(tx, entry);
  }

  remove(tx: number): void {
    if (!this.entries.delete(tx)) return;
    this.writers.splice(upperBound(this.writers, tx) - 1, 1);
  }

  /** The highest writer below `tx`. */
  below(tx: number): number | undefined {
    const i = upperBound(this.writers, tx - 1);
    return i === 0 ? undefined : this.writers[i - 1];
  }
}

/** First index whose element is > x. */
function upperBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MVMemory {
  private readonly data = new Map<string, Versions>();
  /** locations written by each transaction's latest incarnation */
  private readonly lastWritten = new Map<number, string[]>();
  /** balances that ever received a credit (some may hold none any more) */
  private readonly creditedKeys = new Set<string>();

  read(key: string, tx: number): ReadResult {
    const versions = this.data.get(key);
    const writer = versions?.below(tx);
    if (versions === undefined || writer === undefined) return { kind: 'pre' };
    const e = versions.entries.get(writer) as Entry;
    if (e.estimate) return { kind: 'estimate', blocker: writer };
    return { kind: 'value', version: { tx: writer, inc: e.inc }, value: e.value };
  }

  readBalance(key: string, tx: number): BalanceRead {
    const chain: number[] = [];
    let credit = 0n;
    const versions = this.data.get(key);
    if (versions === undefined) return { kind: 'resolved', absolute: undefined, credit, chain };
    for (let i = upperBound(versions.writers, tx - 1) - 1; i >= 0; i--) {
      const writer = versions.writers[i] as number;
      const e = versions.entries.get(writer) as Entry;
      if (e.estimate) return { kind: 'estimate', blocker: writer };
      chain.push(writer, e.inc);
      if (!isCredit(e.value))
        return { kind: 'resolved', absolute: e.value as bigint, credit, chain };
      credit += e.value.credit;
    }
    return { kind: 'resolved', absolute: undefined, credit, chain };
  }

  /**
   * Records an incarnation's write set, replacing the previous incarnation's. Returns whether
   * it wrote a location the previous incarnation did not (then higher transactions that read
   * that location from below must be validated again).
   */
  record(tx: number, inc: number, writes: [string, Value][]): boolean {
    const previous = new Set(this.lastWritten.get(tx) ?? []);
    let wroteNew = false;
    const keys: string[] = [];
    for (const [key, value] of writes) {
      let versions = this.data.get(key);
      if (versions === undefined) {
        versions = new Versions();
        this.data.set(key, versions);
      }
      versions.put(tx, { inc, value, estimate: false });
      if (isCredit(value)) this.creditedKeys.add(key);
      keys.push(key);
      if (!previous.delete(key)) wroteNew = true;
    }
    for (const stale of previous) this.data.get(stale)?.remove(tx);
    this.lastWritten.set(tx, keys);
    return wroteNew;
  }

  /**
   * The lowest transaction whose credit takes a balance past 2^256 - 1: every credited
   * balance summed entry by entry in transaction order, from `preBalance(key)` up to its first
   * absolute value. The EVM would have refused that credit, so nothing the batch did from
   * there on is the sequential execution. Costs one walk per credited balance, none per
   * transaction.
   */
  firstCreditOverflow(preBalance: (key: string) => bigint): number | undefined {
    let first: number | undefined;
    for (const key of this.creditedKeys) {
      const versions = this.data.get(key) as Versions;
      let balance: bigint | undefined;
      for (const writer of versions.writers) {
        if (first !== undefined && writer >= first) break;
        const value = (versions.entries.get(writer) as Entry).value;
        if (!isCredit(value)) {
          balance = value as bigint;
          continue;
        }
        balance = (balance ?? preBalance(key)) + value.credit;
        if (balance > MAX_BALANCE) first = writer;
      }
    }
    return first;
  }

  /** Paper: `convert_writes_to_estimates` when an incarnation is aborted by validation. */
  markEstimates(tx: number): void {
    for (const key of this.lastWritten.get(tx) ?? []) {
      const e = this.data.get(key)?.entries.get(tx);
      if (e !== undefined) e.estimate = true;
    }
  }

  /** The latest incarnation's write set of `tx`. */
  writesOf(tx: number): [string, Value][] {
    return (this.lastWritten.get(tx) ?? []).map((key) => {
      const e = this.data.get(key)?.entries.get(tx) as Entry;
      return [key, e.value];
    });
  }

  /**
   * The final value of every location: the write of the highest transaction. A balance that
   * ends in credits is summed down to the last absolute value; with none below, it stays a
   * credit on the pre-state balance.
   */
  *finalWrites(): Generator<[string, Value, number]> {
    for (const [key, versions] of this.data) {
      const last = versions.writers[versions.writers.length - 1];
      if (last === undefined) continue;
      const e = versions.entries.get(last) as Entry;
      if (!isCredit(e.value)) {
        yield [key, e.value, last];
        continue;
      }
      const r = this.readBalance(key, last + 1);
      if (r.kind === 'estimate') throw new Error(`final value of ${key} is an estimate`);
      yield [
        key,
        r.absolute === undefined ? { credit: r.credit } : credited(r.absolute, r.credit),
        last,
      ];
    }
  }

  /** The transaction that last wrote `key`, if any. */
  lastWriter(key: string): number | undefined {
    const w = this.data.get(key)?.writers;
    return w === undefined ? undefined : w[w.length - 1];
  }
}
