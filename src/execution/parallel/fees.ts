/**
 * Per-transaction coinbase fees with prefix sums in O(log n) (a Fenwick tree): a coinbase read
 * by transaction j needs the sum of the fees of every transaction before j, and both the
 * workers and the coordinator's validation ask for it once per such read.
 */
export class FeeLedger {
  private readonly fees: bigint[];
  private readonly tree: bigint[];

  constructor(readonly size: number) {
    this.fees = new Array<bigint>(size).fill(0n);
    this.tree = new Array<bigint>(size + 1).fill(0n);
  }

  get(tx: number): bigint {
    return this.fees[tx] ?? 0n;
  }

  set(tx: number, fee: bigint): void {
    const delta = fee - (this.fees[tx] as bigint);
    if (delta === 0n) return;
    this.fees[tx] = fee;
    for (let i = tx + 1; i <= this.size; i += i & -i)
      this.tree[i] = (this.tree[i] as bigint) + delta;
  }

  /** Sum of the fees of transactions 0 .. tx-1. */
  below(tx: number): bigint {
    let sum = 0n;
    for (let i = Math.min(tx, this.size); i > 0; i -= i & -i) sum += this.tree[i] as bigint;
    return sum;
  }

  total(): bigint {
    return this.below(this.size);
  }
}
