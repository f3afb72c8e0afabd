/**
 * The Block-STM coordinator (Gelashvili et al., "Block-STM: Scaling Blockchain Execution by
 * Turning Ordering Curse to a Performance Blessing", 2022, Algorithms 1-5). Workers execute
 * incarnations; this thread owns multi-version memory, validates read sets and schedules.
 *
 * Because scheduling and validation run on one JavaScript thread, the paper's races (a
 * dependency registered after the blocker finished, a validation racing a re-execution, the
 * `decrease_cnt`/`num_active_tasks` termination check) become ordering questions that are
 * settled here in program order:
 *  - a worker whose replica still showed an ESTIMATE of a transaction that has since been
 *    re-executed is simply re-scheduled (paper: `add_dependency` returning false);
 *  - validation runs in transaction order from `validationIdx`, which every new-location
 *    write and every abort lowers (paper: `decrease_validation_idx`);
 *  - the batch is done when nothing is in flight, nothing is ready and a final in-order
 *    validation of every transaction passes (belt and braces on top of the paper's rule).
 */
import type { TxOutcome } from '../txrun.ts';
import { FeeLedger } from './fees.ts';
import { type AccountValue, balanceKey } from './keys.ts';
import { MVMemory, PRE } from './mvmemory.ts';
import type { WorkerHandle } from './pool.ts';
import type { Executed, ToWorker } from './protocol.ts';

enum Status {
  Ready = 0,
  Executing = 1,
  Executed = 2,
  Waiting = 3,
}

export interface StmStats {
  executions: number;
  aborts: number;
  dependencies: number;
  /** switched to one transaction at a time after measuring a hopelessly dependent batch */
  fallback: boolean;
  /** after the switch: executions on the in-order worker */
  inOrderExecutions: number;
  /** after the switch: incarnations that read an ESTIMATE and stopped */
  inOrderBlocked: number;
  /** after the switch: results that failed validation */
  inOrderAborts: number;
  /** after the switch: times the queue was drained and the cursor moved back */
  rewinds: number;
}

/**
 * Tests only: switch to the in-order fallback once `afterExecutions` incarnations have been
 * dispatched, whether or not the batch looks hopeless, with the cursor at transaction `from`
 * instead of the first unsettled one. With `from` above transactions whose speculative results
 * are unvalidated, wrong or missing, the in-order run meets the hazards the fallback must
 * survive (blocked reads, aborts, rewinds), which a real switch makes rare.
 */
export interface ForceInOrderForTests {
  afterExecutions: number;
  from: number;
}

/**
 * Give up on speculation when this share of executions was wasted early in the batch: from
 * then on transactions run one at a time, in order, on one worker (no aborts, no waste), and
 * the batch still gets the one-pass root. Judged once, between PROBE and 2 * PROBE executions.
 */
const HOPELESS_RATIO = 0.5;
const PROBE_EXECUTIONS = 48;
const TASKS_PER_WORKER = 2;
/** transactions queued on the one worker of the sequential fallback */
const IN_ORDER_QUEUE = 16;
/**
 * The fallback runs each transaction about once; a few rewinds re-run some. This many
 * executions after the switch, per transaction in the batch, means it is rewinding without
 * end (a scheduling bug): fail loudly instead of looping.
 */
const MAX_IN_ORDER_RUNS_PER_TX = 4;
const MAX_IN_ORDER_RUNS_SLACK = 64;

export class BlockStm {
  readonly mv = new MVMemory();
  readonly outcomes: (TxOutcome | undefined)[];
  readonly fees: bigint[];
  /** contract code created during the batch, by hash */
  readonly codes = new Map<string, Uint8Array>();
  /** code created by each transaction's latest incarnation */
  readonly codesBy: [string, Uint8Array][][] = [];
  /** each transaction's latest (so, once settled, committed) execution time, in milliseconds */
  readonly txMs: Float64Array;
  readonly stats: StmStats = {
    executions: 0,
    aborts: 0,
    dependencies: 0,
    fallback: false,
    inOrderExecutions: 0,
    inOrderBlocked: 0,
    inOrderAborts: 0,
    rewinds: 0,
  };
  private readonly ledger: FeeLedger;
  private readonly status: Uint8Array;
  private readonly inc: Int32Array;
  readonly reads: (Executed['reads'] | undefined)[];
  private readonly dependents = new Map<number, number[]>();
  private readonly ready = new MinHeap();
  private validationIdx = 0;
  private inFlight = 0;
  private idle: WorkerHandle[] = [];
  private readonly pending = new Map<WorkerHandle, ToWorker[]>();
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private finished = false;
  /** the one worker the sequential fallback runs everything on, once chosen */
  private sequencer: WorkerHandle | undefined;
  /** the fallback's next transaction to dispatch, and where an abort sends it back to */
  private cursor = 0;
  private rewindTo: number | undefined;

  constructor(
    readonly n: number,
    private readonly workers: WorkerHandle[],
    private readonly coinbase: string,
    private readonly preCoinbase: AccountValue,
    private readonly allowFallback: boolean,
    private readonly forceInOrder?: ForceInOrderForTests,
  ) {
    this.outcomes = new Array(n);
    this.txMs = new Float64Array(n);
    this.fees = new Array<bigint>(n).fill(0n);
    this.ledger = new FeeLedger(n);
    this.status = new Uint8Array(n);
    this.inc = new Int32Array(n);
    this.reads = new Array(n);
    for (let i = 0; i < n; i++) this.ready.push(i);
  }

  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      for (const w of this.workers) {
        w.listen((msg) => {
          if (msg.t === 'done') this.onDone(w, msg);
          else if (msg.t === 'fatal') this.fail(new Error(`worker failed: ${msg.message}`));
        });
      }
      // Two tasks queued per worker: the next one is already waiting when an incarnation
      // finishes, instead of a round trip through this thread (measured: workers sat idle a
      // third of the time with one).
      for (let slot = 0; slot < TASKS_PER_WORKER; slot++) this.idle.push(...this.workers);
      this.pump();
    });
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.finished = true;
    for (const w of this.workers) w.listen(undefined);
    this.settle?.reject(e);
  }

  private pump(): void {
    if (this.finished) return;
    if (
      !this.stats.fallback &&
      this.forceInOrder !== undefined &&
      this.stats.executions >= this.forceInOrder.afterExecutions
    ) {
      this.stats.fallback = true;
    }
    if (this.stats.fallback) this.pumpInOrder();
    else this.pumpSpeculative();
    if (this.inFlight === 0 && this.ready.size === 0 && this.inOrderDone()) this.finish();
  }

  private inOrderDone(): boolean {
    return this.sequencer === undefined || (this.cursor >= this.n && this.rewindTo === undefined);
  }

  private pumpSpeculative(): void {
    while (this.idle.length > 0 && this.ready.size > 0) {
      const tx = this.ready.pop() as number;
      if (this.status[tx] !== Status.Ready) continue;
      this.dispatch(tx, this.idle.pop() as WorkerHandle);
    }
  }

  /**
   * Sequential fallback. From the first transaction not yet validated, every transaction is
   * executed again, in order, on one worker, up to IN_ORDER_QUEUE at a time: that worker runs
   * them one after another and records each one's writes in its replica before the next
   * starts, so each sees every earlier write, as in a sequential run, and never waits for a
   * round trip through this thread. Speculative results above the cursor are not trusted
   * (they are what made the batch hopeless). Validation still checks every result here; an
   * abort (never expected) drains the queue and moves the cursor back to it.
   */
  private pumpInOrder(): void {
    if (this.sequencer === undefined) {
      if (this.inFlight > 0) return; // speculative incarnations still running elsewhere
      this.sequencer = this.workers[0] as WorkerHandle;
      this.cursor = this.forceInOrder?.from ?? this.firstUnsettled();
      this.dependents.clear(); // everything from the cursor up runs again anyway
    }
    if (this.rewindTo !== undefined) {
      if (this.inFlight > 0) return;
      this.cursor = Math.min(this.rewindTo, this.firstUnsettled());
      this.rewindTo = undefined;
      this.stats.rewinds++;
    }
    while (this.inFlight < IN_ORDER_QUEUE && this.cursor < this.n) {
      const cap = MAX_IN_ORDER_RUNS_PER_TX * this.n + MAX_IN_ORDER_RUNS_SLACK;
      if (this.stats.inOrderExecutions >= cap) {
        this.fail(
          new Error(
            `in-order fallback: ${this.stats.inOrderExecutions} executions for ${this.n} transactions ` +
              `(${this.stats.rewinds} rewinds) without settling; stopped instead of rewinding without end`,
          ),
        );
        return;
      }
      this.stats.inOrderExecutions++;
      const tx = this.cursor++;
      if (this.status[tx] !== Status.Ready) this.inc[tx] = (this.inc[tx] as number) + 1;
      this.dispatch(tx, this.sequencer);
    }
    this.ready.clear(); // the cursor, not the heap, says what runs next
  }

  /** The first transaction not both executed and validated (an abort leaves its own index
   *  below `validationIdx`, which only says where validation resumes). */
  private firstUnsettled(): number {
    let tx = 0;
    while (tx < this.validationIdx && this.status[tx] === Status.Executed) tx++;
    return tx;
  }

  private dispatch(tx: number, w: WorkerHandle): void {
    this.status[tx] = Status.Executing;
    this.inFlight++;
    this.stats.executions++;
    const queued = this.pending.get(w) ?? [];
    this.pending.set(w, []);
    w.post({
      t: 'many',
      msgs: [...queued, { t: 'exec', tx, inc: this.inc[tx] as number, apply: true }],
    });
  }

  private onDone(worker: WorkerHandle, msg: Executed): void {
    if (this.finished) return;
    this.inFlight--;
    if (!this.stats.fallback) this.idle.push(worker);
    if (msg.blockedBy !== undefined) this.onBlocked(msg.tx, msg.blockedBy);
    else this.onExecuted(msg, worker);
    this.validateForward();
    if (!this.stats.fallback && this.hopeless()) this.stats.fallback = true;
    this.pump();
  }

  private onBlocked(tx: number, blocker: number): void {
    this.stats.dependencies++;
    if (this.sequencer !== undefined) {
      // in order, a blocker below is being re-run: run this one again after it
      this.stats.inOrderBlocked++;
      this.status[tx] = Status.Ready;
      this.rewindTo = Math.min(this.rewindTo ?? tx, tx);
      return;
    }
    if (this.status[blocker] === Status.Executed) {
      this.makeReady(tx); // the ESTIMATE was already resolved (the worker's replica lagged)
      return;
    }
    this.status[tx] = Status.Waiting;
    const list = this.dependents.get(blocker) ?? [];
    list.push(tx);
    this.dependents.set(blocker, list);
  }

  private onExecuted(msg: Executed, producer: WorkerHandle): void {
    const { tx, inc } = msg;
    const writes = msg.writes ?? [];
    const wroteNew = this.mv.record(tx, inc, writes);
    const feeChanged = this.fees[tx] !== (msg.fee ?? 0n);
    this.fees[tx] = msg.fee ?? 0n;
    this.ledger.set(tx, msg.fee ?? 0n);
    this.outcomes[tx] = msg.outcome;
    this.txMs[tx] = msg.ms ?? 0;
    this.reads[tx] = msg.reads;
    this.status[tx] = Status.Executed;
    for (const [hash, code] of msg.codes ?? []) this.codes.set(hash, code);
    this.codesBy[tx] = msg.codes ?? [];
    // The producer recorded its own writes already; the others get them with their next task.
    const update: ToWorker = {
      t: 'update',
      tx,
      inc,
      writes,
      codes: msg.codes ?? [],
      fee: msg.fee ?? 0n,
    };
    for (const w of this.replicaHolders()) if (w !== producer) this.enqueue(w, update);
    for (const dep of this.dependents.get(tx) ?? []) this.makeReady(dep);
    this.dependents.delete(tx);
    // A new location (or a changed fee, which coinbase readers see) may invalidate higher
    // transactions that were already validated; otherwise only this one needs validating.
    if (wroteNew || feeChanged) this.validationIdx = Math.min(this.validationIdx, tx);
    else if (tx < this.validationIdx && !this.validate(tx)) this.abort(tx);
  }

  /**
   * The workers whose replicas still matter: all of them, or in the fallback only the sequencer
   * (the others execute nothing more in this batch, and their queues would never be sent).
   */
  private replicaHolders(): readonly WorkerHandle[] {
    return this.sequencer === undefined ? this.workers : [this.sequencer];
  }

  /** Replica updates travel with the worker's next task: one message instead of many. */
  private enqueue(w: WorkerHandle, msg: ToWorker): void {
    const q = this.pending.get(w);
    if (q === undefined) this.pending.set(w, [msg]);
    else q.push(msg);
  }

  private makeReady(tx: number): void {
    this.inc[tx] = (this.inc[tx] as number) + 1;
    this.status[tx] = Status.Ready;
    this.ready.push(tx);
  }

  private validateForward(): void {
    while (this.validationIdx < this.n && this.status[this.validationIdx] === Status.Executed) {
      const tx = this.validationIdx++;
      if (!this.validate(tx)) this.abort(tx);
    }
  }

  private abort(tx: number): void {
    this.stats.aborts++;
    this.mv.markEstimates(tx);
    for (const w of this.replicaHolders()) this.enqueue(w, { t: 'estimate', tx });
    this.makeReady(tx);
    if (this.sequencer !== undefined) {
      this.stats.inOrderAborts++;
      this.rewindTo = Math.min(this.rewindTo ?? tx, tx);
    }
    this.validationIdx = Math.min(this.validationIdx, tx + 1);
  }

  /** Paper `validate_read_set`: every read must still resolve to the version it saw. */
  validate(tx: number): boolean {
    const reads = this.reads[tx];
    if (reads === undefined) return false;
    const { keys, versions } = reads;
    for (let i = 0; i < keys.length; i++) {
      const writer = versions[2 * i] as number;
      const inc = versions[2 * i + 1] as number;
      const r = this.mv.read(keys[i] as string, tx);
      if (r.kind === 'estimate') return false;
      if (r.kind === 'pre' ? writer !== PRE : r.version.tx !== writer || r.version.inc !== inc) {
        return false;
      }
    }
    for (const [key, chain] of reads.chains ?? []) {
      if (!this.sameChain(key, tx, chain)) return false;
    }
    if (reads.feeSum !== undefined && reads.feeSum !== this.feesBelow(tx)) return false;
    if (reads.feeNonZero !== undefined) {
      if (reads.feeNonZero !== this.coinbaseBalance(tx) + this.feesBelow(tx) > 0n) return false;
    }
    return true;
  }

  /** A balance summed through credits must still sum exactly the same entries. */
  private sameChain(key: string, tx: number, chain: number[]): boolean {
    const r = this.mv.readBalance(key, tx);
    if (r.kind === 'estimate' || r.chain.length !== chain.length) return false;
    return r.chain.every((v, i) => v === chain[i]);
  }

  /** The coinbase's stored (fee-less) balance as transaction `tx` sees it. */
  private coinbaseBalance(tx: number): bigint {
    const r = this.mv.read(balanceKey(this.coinbase), tx);
    if (r.kind !== 'value') return this.preCoinbase.balance;
    // the coinbase is always read whole, never credited (keys.ts)
    if (typeof r.value !== 'bigint') throw new Error('the coinbase balance holds a credit');
    return r.value;
  }

  private feesBelow(tx: number): bigint {
    return this.ledger.below(tx);
  }

  private hopeless(): boolean {
    if (!this.allowFallback || this.stats.executions < PROBE_EXECUTIONS) return false;
    if (this.stats.executions > PROBE_EXECUTIONS * 2) return false; // only judge early
    const wasted = this.stats.aborts + this.stats.dependencies;
    return wasted / this.stats.executions > HOPELESS_RATIO;
  }

  private finish(): void {
    for (let tx = 0; tx < this.n; tx++) {
      if (this.status[tx] !== Status.Executed || !this.validate(tx)) {
        // Cannot happen if the scheduling above is right; re-run rather than return a wrong root.
        this.abort(tx);
        this.pump();
        return;
      }
    }
    this.finished = true;
    for (const w of this.workers) w.listen(undefined);
    this.settle?.resolve();
  }
}

class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= x) break;
      a[i] = a[p] as number;
      i = p;
    }
    a[i] = x;
  }
  clear(): void {
    this.a.length = 0;
  }
  pop(): number | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] as number) < (a[l] as number) ? r : l;
      if ((a[c] as number) >= last) break;
      a[i] = a[c] as number;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
