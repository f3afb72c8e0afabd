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
import type { Value } from './keys.ts';

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

  read(key: string, tx: number): ReadResult {
    const versions = this.data.get(key);
    const writer = versions?.below(tx);
    if (versions === undefined || writer === undefined) return { kind: 'pre' };
    const e = versions.entries.get(writer) as Entry;
    if (e.estimate) return { kind: 'estimate', blocker: writer };
    return { kind: 'value', version: { tx: writer, inc: e.inc }, value: e.value };
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
      keys.push(key);
      if (!previous.delete(key)) wroteNew = true;
    }
    for (const stale of previous) this.data.get(stale)?.remove(tx);
    this.lastWritten.set(tx, keys);
    return wroteNew;
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

  /** The final value of every location: the write of the highest transaction. */
  *finalWrites(): Generator<[string, Value, number]> {
    for (const [key, versions] of this.data) {
      const last = versions.writers[versions.writers.length - 1];
      if (last === undefined) continue;
      const e = versions.entries.get(last) as Entry;
      yield [key, e.value, last];
    }
  }

  /** The transaction that last wrote `key`, if any. */
  lastWriter(key: string): number | undefined {
    const w = this.data.get(key)?.writers;
    return w === undefined ? undefined : w[w.length - 1];
  }
}
