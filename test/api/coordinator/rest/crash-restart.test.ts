/**
 * Crash and restart of the real `custody start` process on `litecoind -regtest`: the coordinator
 * is killed with SIGKILL at each step of a batch's way (numbered but not recorded, executed) and
 * of its settlement's (proposed, approved, signing, signed, broadcast), then at random moments
 * of flows of two or three batches, and restarted on the same DATA_DIR at once each time (its
 * orphaned signers must exit by themselves and not keep the new ones from starting). A signer
 * process is killed while a signing session runs, then a second one below the threshold.
 *
 * After every trial the node and the database must agree: every batch settled exactly once, by
 * one confirmed settlement; every withdrawal paid exactly once on chain; no custody output spent
 * by two transactions in the chain or the mempool; no settlement broadcast as two different
 * transactions (a BIP125 fee bump, recorded in replacedTxids, is the one exception); and, after
 * the coordinator crashes, all three signers still in step (a crash must not lose a signer).
 *
 * CRASH_TRIALS (default 6) and CRASH_SEED (default: random, printed) replay the random trials;
 * CRASH_LOG_LEVEL (default error) is the processes' LOG_LEVEL, shown when a trial times out.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ADDRESS } from '../../../../src/execution/bridge/artifact.ts';
import { commitmentFromScript } from '../../../../src/settlement/commitment.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../execution/bridge/harness.ts';
import { type Key, newKey, signTx } from '../../../execution/support/txs.ts';
import { restClient, type StartedProcess, startCustody } from '../../../support/custody-start.ts';
import { type Litecoind, startLitecoind } from '../../../support/litecoind.ts';

const BOOTSTRAP = 'crash-bootstrap-key-0123456789abcdef';
const TRIALS = Number(process.env.CRASH_TRIALS ?? 6);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

let node: Litecoind;
let chain: ChainWatch;
const dirs: string[] = [];
const harnesses: Harness[] = [];

beforeAll(async () => {
  // -debug=mempool: the node logs every BIP125 replacement it accepts ("replacing tx A with B").
  node = await startLitecoind({ args: ['-debug=mempool'] });
  chain = new ChainWatch(node);
}, 120_000);

afterAll(async () => {
  chain?.stop();
  for (const h of harnesses) {
    await h.proc?.kill();
    h.close();
  }
  await node?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: the random trials replay from CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Alive and not a zombie (an orphan's reaper may be slow, or absent in a container). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The signer processes a coordinator started: its children running `custody signer`. */
function signerPids(coordinatorPid: number): Map<string, number> {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(coordinatorPid)], {
      encoding: 'utf8',
    });
  } catch {
    return new Map(); // ps exits 1 when there is no child
  }
  const pids = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s.*custody\.js signer .*signers\/(signer-\d)\/signer\.json/.exec(line);
    if (m) pids.set(m[2]!, Number(m[1]));
  }
  return pids;
}

interface SeenTx {
  txid: string;
  /** spent outpoints, `txid:vout` */
  vin: string[];
  vout: { scriptPubKey: string; sats: bigint }[];
  /** the block holding it, once mined */
  block?: string;
}

function toSats(coins: number): bigint {
  return BigInt(Math.round(coins * 1e8));
}

interface RpcTx {
  txid: string;
  vin: { txid?: string; vout?: number; coinbase?: string }[];
  vout: { value: number; n: number; scriptPubKey: { hex: string } }[];
}

function seenTx(tx: RpcTx, block?: string): SeenTx {
  return {
    txid: tx.txid,
    vin: tx.vin.filter((i) => i.txid !== undefined).map((i) => `${i.txid}:${i.vout}`),
    vout: tx.vout.map((o) => ({ scriptPubKey: o.scriptPubKey.hex, sats: toSats(o.value) })),
    ...(block === undefined ? {} : { block }),
  };
}

/**
 * What the node saw: every transaction that entered its mempool (polled every 50 ms, so
 * anything that stayed there longer; a replacement faster than that is in the node's log) and
 * every transaction of every block.
 */
class ChainWatch {
  readonly mempoolSeen = new Map<string, SeenTx>();
  private readonly blocks = new Map<number, { hash: string; txs: SeenTx[] }>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly node: Litecoind) {
    this.timer = setInterval(() => void this.poll(), 50);
  }

  stop() {
    clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const txids = await this.node.rpc<string[]>('getrawmempool');
      for (const txid of txids) {
        if (this.mempoolSeen.has(txid)) continue;
        try {
          const tx = await this.node.rpc<RpcTx>('getrawtransaction', [txid, true]);
          this.mempoolSeen.set(txid, seenTx(tx));
        } catch {
          // mined or replaced meanwhile: the block scan (or the node's log) has it
        }
      }
    } catch {
      // the node is stopping
    } finally {
      this.polling = false;
    }
  }

  /** Every block's transactions (the chain never reorgs here: only this file mines). */
  async chainTxs(): Promise<SeenTx[]> {
    const tip = await this.node.height();
    for (let h = 1; h <= tip; h++) {
      if (this.blocks.has(h)) continue;
      const hash = await this.node.rpc<string>('getblockhash', [h]);
      const block = await this.node.rpc<{ tx: RpcTx[] }>('getblock', [hash, 2]);
      this.blocks.set(h, { hash, txs: block.tx.map((t) => seenTx(t, hash)) });
    }
    return [...this.blocks.values()].flatMap((b) => b.txs);
  }

  /** The node's own record of each BIP125 replacement: [replaced, replacement]. */
  replacements(): [string, string][] {
    const log = readFileSync(path.join(this.node.dataDir, 'regtest', 'debug.log'), 'utf8');
    return [...log.matchAll(/replacing tx ([0-9a-f]{64}) with ([0-9a-f]{64})/g)].map((m) => [
      m[1]!,
      m[2]!,
    ]);
  }
}

interface Payout {
  address: string;
  scriptPubKey: string;
  sats: bigint;
}

interface BatchRow {
  id: string;
  number: number | null;
  status: string;
  settlementId: string | null;
  settlement: string | null;
}

interface SettlementRow {
  id: string;
  status: string;
  txid: string | null;
  rawTx: string | null;
  replacedTxids: string | null;
  custodyOutpoint: string | null;
  blockHash: string | null;
  reason: string | null;
}

/** One custody data directory and the `custody start` process currently running on it. */
class Harness {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly key: Key = newKey();
  private nonce = 0n;
  proc: StartedProcess | undefined;
  /** The logs of the processes that ended. */
  private readonly ended: string[] = [];
  /** The current process's signers: name → pid. */
  signers = new Map<string, number>();
  /** Resolves once the current process is up (replaced at every crash). */
  up: Promise<void> = Promise.resolve();
  custodySpk = '';
  readonly payouts: Payout[] = [];
  readonly batchIds: string[] = [];
  crashes = 0;
  /** Idempotency keys a crash left claimed without a batch (refused for good since). */
  keysLost = 0;
  private db: Database.Database | undefined;

  constructor(readonly scheme: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), `custody-crash-${scheme}-`));
    dirs.push(this.dir);
    harnesses.push(this);
    const genesis = path.join(this.dir, 'genesis.json');
    writeFileSync(
      genesis,
      JSON.stringify({
        config: { chainId: 4242 },
        alloc: { [this.key.address]: { balance: `0x${(10n ** 24n).toString(16)}` } },
      }),
    );
    this.env = {
      DATA_DIR: path.join(this.dir, 'data'),
      PORT: '0',
      CUSTODY_SCHEME: scheme,
      BITCOIN_NETWORK: 'litecoin-regtest',
      BITCOIN_RPC_URL: node.rpcUrl,
      GENESIS_FILE: genesis,
      CONFIRMATIONS: '1',
      SETTLE_INTERVAL_MS: '1000',
      BOOTSTRAP_API_KEY: BOOTSTRAP,
      AUTO_APPROVE: '1',
      LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? 'error',
    };
  }

  async start(): Promise<void> {
    if (this.proc !== undefined) this.ended.push(this.proc.stderr());
    this.proc = await startCustody(this.env);
    // Every restart must bring its three signers back.
    this.signers = signerPids(this.proc.child.pid!);
    expect([...this.signers.keys()].sort()).toEqual(['signer-1', 'signer-2', 'signer-3']);
  }

  /** First start: the custody key, funded with one confirmed output. */
  async open(fundSats: bigint): Promise<void> {
    await this.start();
    const custody = await this.call('GET', '/v1/custody');
    expect(custody.status).toBe(200);
    this.custodySpk = custody.body.scriptPubKey;
    await node.fund(custody.body.address, fundSats);
  }

  /**
   * SIGKILL now (synchronously: the caller's next read already races a dead process), then a
   * restart on the same DATA_DIR at once, without waiting for the orphaned signers: they must
   * go by themselves and must not stop the new ones from starting. `dead` resolves once the
   * process is gone (the database then holds what the restart resumes from).
   */
  crashAndRestart(): { orphans: number[]; dead: Promise<void>; restarted: Promise<void> } {
    const proc = this.proc!;
    const orphans = [...this.signers.values()];
    proc.child.kill('SIGKILL');
    this.crashes++;
    const dead = proc.kill();
    const restarted = (async () => {
      await dead;
      await this.start();
      await waitFor(
        async () => orphans.filter(alive),
        (left) => left.length === 0,
        15_000,
        'the killed coordinator’s signers to exit',
      );
    })();
    this.up = restarted;
    return { orphans, dead, restarted };
  }

  /** The logs of this data directory's processes, the newest last (LOG_LEVEL=CRASH_LOG_LEVEL). */
  logs(): string {
    return [...this.ended, this.proc?.stderr() ?? '']
      .join('\n')
      .split('\n')
      .filter((l) => !l.includes('request completed'))
      .join('\n')
      .slice(-8000);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  database(): Database.Database {
    this.db ??= new Database(path.join(this.dir, 'data', 'custody.db'), {
      readonly: true,
      fileMustExist: true,
    });
    return this.db;
  }

  batch(id: string): BatchRow | undefined {
    return this.database()
      .prepare(
        `SELECT b.id, b.number, b.status, b.settlementId, s.status AS settlement
         FROM Batch b LEFT JOIN Settlement s ON s.id = b.settlementId WHERE b.id = ?`,
      )
      .get(id) as BatchRow | undefined;
  }

  async call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
    await this.up;
    return restClient(this.proc!.url, BOOTSTRAP)(method, route, body, headers);
  }

  /** A batch of withdrawals, each to a new address of the test wallet. */
  async withdrawals(amounts: bigint[]): Promise<{ txs: string[]; payouts: Payout[] }> {
    const payouts: Payout[] = [];
    const txs: string[] = [];
    for (const sats of amounts) {
      const address = await node.newAddress();
      const info = await node.rpc<{ scriptPubKey: string }>('getaddressinfo', [address], 'test');
      payouts.push({ address, scriptPubKey: info.scriptPubKey, sats });
      txs.push(
        signTx(this.key, {
          nonce: this.nonce++,
          to: BRIDGE_ADDRESS,
          value: sats * WEI_PER_SAT,
          data: encodeWithdraw(Uint8Array.from(Buffer.from(info.scriptPubKey, 'hex'))),
          gasLimit: 200_000n,
          maxFee: 7n,
          tip: 0n,
        }),
      );
    }
    return { txs, payouts };
  }

  /**
   * POST /v1/batches with an Idempotency-Key, through crashes: a request the crash cut off is
   * sent again with the same key (the stored batch answers again); a key whose claim the crash
   * left without a batch is refused for good, so the same batch goes again under a new key.
   */
  async submit(amounts: bigint[]): Promise<string> {
    const { txs, payouts } = await this.withdrawals(amounts);
    let key = `batch-${this.nonce}-${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; ; attempt++) {
      expect(attempt, 'a batch submission kept failing').toBeLessThan(50);
      let r: Awaited<ReturnType<Harness['call']>>;
      try {
        r = await this.call('POST', '/v1/batches', { txs }, { 'idempotency-key': key });
      } catch {
        await sleep(50); // the process is gone: `up` is the restart's by now
        continue;
      }
      if (r.status === 202) {
        this.payouts.push(...payouts);
        if (!this.batchIds.includes(r.body.id)) this.batchIds.push(r.body.id);
        return r.body.id as string;
      }
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.detail).toMatch(/interrupted/);
      this.keysLost++;
      key = `${key}-again`;
    }
  }

  /** Mines whenever the mempool holds a transaction, until every batch is settled. */
  async settleAll(ms = 90_000): Promise<void> {
    try {
      await this.settleAllQuietly(ms);
    } catch (error) {
      // What the coordinator said (its logs, LOG_LEVEL=CRASH_LOG_LEVEL, default error).
      throw new Error(`${(error as Error).message}\n${this.logs()}`);
    }
  }

  private async settleAllQuietly(ms: number): Promise<void> {
    await waitFor(
      async () => {
        if ((await node.rpc<string[]>('getrawmempool')).length > 0) await node.mine(1);
        return this.batchIds.map((id) => this.batch(id));
      },
      (rows) => rows.every((r) => r?.status === 'settled' && r.settlement === 'confirmed'),
      ms,
      'every batch settled',
      200,
    );
  }

  /**
   * Every signer verified every batch: the next settlement can be signed by any two of them.
   * A signer left out of step (it refuses what the coordinator sends it) shows behind here.
   */
  async expectSignersInStep(): Promise<void> {
    const r = await this.call('GET', '/v1/signers');
    expect(
      r.body.items.map((s: { name: string; rollupBatchNumber: number }) => [
        s.name,
        s.rollupBatchNumber,
      ]),
      `${JSON.stringify(r.body)}\n${this.logs()}`,
    ).toEqual(['signer-1', 'signer-2', 'signer-3'].map((n) => [n, this.batchIds.length]));
  }

  /**
   * Everything the node and the database say after a trial (module comment). Returns the
   * settlements, confirmed, in chain order.
   */
  async verify(): Promise<SettlementRow[]> {
    await chain.poll();
    const db = this.database();
    const batches = db.prepare('SELECT id, number, status, settlementId FROM Batch').all() as {
      id: string;
      number: number | null;
      status: string;
      settlementId: string | null;
    }[];
    const settlements = db
      .prepare(
        `SELECT id, status, txid, rawTx, replacedTxids, custodyOutpoint, blockHash, reason
         FROM Settlement WHERE status != 'held'`,
      )
      .all() as SettlementRow[];
    const byId = new Map(settlements.map((s) => [s.id, s]));

    // The database: every batch ours, numbered 1..n once, settled by one confirmed settlement.
    expect(batches.map((b) => b.id).sort()).toEqual([...this.batchIds].sort());
    expect(batches.map((b) => b.number).sort((a, b) => a! - b!)).toEqual(
      batches.map((_, i) => i + 1),
    );
    for (const b of batches) {
      expect(b.status, `batch ${b.id}`).toBe('settled');
      expect(byId.get(b.settlementId!)?.status, `settlement of batch ${b.id}`).toBe('confirmed');
    }
    for (const s of settlements) {
      expect(s.status, `${s.id}: ${s.reason}`).toBe('confirmed');
      expect(
        batches.some((b) => b.settlementId === s.id),
        `${s.id} settles a batch`,
      ).toBe(true);
    }

    // Each settlement's versions: its txid and the ones its fee bumps replaced.
    const owner = new Map<string, string>();
    const versions = new Map<string, SeenTx>();
    for (const s of settlements) {
      const replaced = JSON.parse(s.replacedTxids ?? '[]') as { txid: string; rawTx: string }[];
      for (const v of [...replaced, { txid: s.txid!, rawTx: s.rawTx! }]) {
        expect(owner.get(v.txid), `txid ${v.txid} of two settlements`).toBeUndefined();
        owner.set(v.txid, s.id);
        const tx = Transaction.fromHex(v.rawTx);
        expect(tx.getId()).toBe(v.txid);
        versions.set(v.txid, {
          txid: v.txid,
          vin: tx.ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`),
          vout: tx.outs.map((o) => ({
            scriptPubKey: Buffer.from(o.script).toString('hex'),
            sats: BigInt(o.value),
          })),
        });
      }
    }

    // What the node has: the chain, everything seen in its mempool, and the current mempool.
    const mined = await chain.chainTxs();
    const minedIds = new Set(mined.map((t) => t.txid));
    const all = new Map<string, SeenTx>();
    for (const t of [...versions.values(), ...chain.mempoolSeen.values(), ...mined])
      all.set(t.txid, { ...all.get(t.txid), ...t });
    const custodyOutpoints = new Set<string>();
    for (const t of all.values())
      t.vout.forEach((o, n) => {
        if (o.scriptPubKey === this.custodySpk) custodyOutpoints.add(`${t.txid}:${n}`);
      });
    const spenders = new Map<string, Set<string>>();
    for (const t of all.values())
      for (const o of t.vin)
        if (custodyOutpoints.has(o)) spenders.set(o, (spenders.get(o) ?? new Set()).add(t.txid));

    // Every transaction that spends custody is a version of one of our settlements, and the
    // spenders of one custody output are versions of one settlement, one of them mined.
    for (const [outpoint, txids] of spenders) {
      const owners = new Set([...txids].map((t) => owner.get(t)));
      expect([...owners], `spenders of ${outpoint}: ${[...txids]}`).toHaveLength(1);
      expect([...owners][0], `${[...txids]} spend custody and are no settlement`).toBeDefined();
      expect([...txids].filter((t) => minedIds.has(t)).length).toBeLessThanOrEqual(1);
    }
    // The node never held two settlements' transactions for one output: each replacement it
    // accepted is a fee bump of one settlement.
    for (const [from, to] of chain.replacements()) {
      if (!owner.has(from) && !owner.has(to)) continue; // the test wallet's own
      expect(owner.get(from), `replacement ${from} → ${to}`).toBe(owner.get(to));
    }
    // Each settlement is mined once, as the version it recorded, in the block it recorded.
    const minedSettlements = mined.filter((t) => owner.has(t.txid));
    expect(minedSettlements.map((t) => owner.get(t.txid)).sort()).toEqual(
      settlements.map((s) => s.id).sort(),
    );
    for (const t of minedSettlements) {
      const s = byId.get(owner.get(t.txid)!)!;
      expect(t.txid, `${s.id} mined as another version than it recorded`).toBe(s.txid);
      expect(t.block).toBe(s.blockHash);
    }
    // The audit log names no broadcast txid the settlement does not own.
    const broadcasts = db
      .prepare(
        `SELECT subject, data FROM AuditEntry WHERE action IN
         ('settlement.broadcast', 'settlement.rebroadcast', 'settlement.signed')`,
      )
      .all() as { subject: string; data: string }[];
    for (const a of broadcasts) {
      const txid = (JSON.parse(a.data) as { txid: string }).txid;
      expect(owner.get(txid), `audit ${a.data}`).toBe(a.subject);
    }

    // Each withdrawal paid exactly once on chain; the settlements pay nothing else; their
    // commitments cover the bridge queue once, in order, batch numbers rising.
    const order = minedSettlements.map((t) => byId.get(owner.get(t.txid)!)!);
    const paid = minedSettlements.flatMap((t) => t.vout.slice(2));
    expect(paid.length).toBe(this.payouts.length);
    for (const p of this.payouts) {
      const outs = mined.flatMap((t) => t.vout).filter((o) => o.scriptPubKey === p.scriptPubKey);
      expect(
        outs.map((o) => o.sats),
        `withdrawal to ${p.address}`,
      ).toEqual([p.sats]);
      expect(await node.rpc('getreceivedbyaddress', [p.address, 1], 'test')).toBe(
        Number(p.sats) / 1e8,
      );
    }
    let next = 0n;
    let lastBatch = 0n;
    for (const s of order) {
      const c = commitmentFromScript(Transaction.fromHex(s.rawTx!).outs[1]!.script);
      expect(c.firstWithdrawalIndex, `${s.id} commitment`).toBe(next);
      expect(c.batchNumber).toBeGreaterThan(lastBatch);
      next += BigInt(c.withdrawalCount);
      lastBatch = c.batchNumber;
    }
    expect(next).toBe(BigInt(this.payouts.length));
    expect(Number(lastBatch)).toBe(batches.length);
    return order;
  }
}

async function waitFor<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  ms: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 800)}`);
    await sleep(everyMs);
  }
}

/**
 * Reads the database until `match` holds: `spin`, as fast as it can (bursts of synchronous
 * reads, yielding between them: a step a few milliseconds long is not missed), else every
 * millisecond or so.
 */
async function pollFast<T>(
  read: () => T,
  match: (v: T) => boolean,
  ms: number,
  what: string,
  spin = true,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    const burst = performance.now() + (spin ? 5 : 0);
    do {
      last = read();
      if (match(last)) return last;
    } while (performance.now() < burst);
    await new Promise((r) => (spin ? setImmediate(r) : setTimeout(r, 1)));
  }
  throw new Error(`never saw ${what}; last: ${JSON.stringify(last)}`);
}

const STEPS = [
  'received',
  'executed',
  'proposed',
  'approved',
  'signing',
  'signed',
  'broadcast',
] as const;

const STEP_ORDER = ['none', 'submitted', ...STEPS, 'confirmed'];

interface Moment {
  /** the flow's nth batch */
  batch: number;
  step: (typeof STEPS)[number];
  delayMs: number;
}

/** Where the batch is: its own status (received counts once numbered), then its settlement's. */
function stepOf(row: BatchRow | undefined): string | undefined {
  if (row === undefined) return undefined;
  if (row.settlement !== null) return row.settlement;
  if (row.status === 'received') return row.number === null ? 'submitted' : 'received';
  return row.status;
}

describe('custody start killed with SIGKILL and restarted (litecoind regtest)', () => {
  it('at each pipeline step: every batch settles once, nothing is spent or broadcast twice', {
    timeout: 330_000,
  }, async () => {
    const h = new Harness('frost');
    await h.open(10_000_000n);
    let amount = 20_000n;
    for (const step of STEPS) {
      const id = await h.submit([amount++, amount++]);
      const seen = await pollFast(
        () => stepOf(h.batch(id)),
        (s) => s === step,
        60_000,
        `batch ${id} at ${step}`,
      );
      const { orphans, dead, restarted } = h.crashAndRestart();
      expect(orphans).toHaveLength(3);
      // The kill lands within moments of the sighting: at that step, or (a fast step) the next.
      await dead;
      const after = stepOf(h.batch(id))!;
      expect(
        STEP_ORDER.indexOf(after),
        `killed at ${seen}, dead at ${after}`,
      ).toBeGreaterThanOrEqual(STEP_ORDER.indexOf(step));
      expect(after).not.toBe('confirmed');
      await restarted;
      await h.settleAll();
      const order = await h.verify();
      await h.expectSignersInStep();
      console.info(
        `killed at ${seen} (dead at ${after}): restarted, ${order.length} settlements, ${h.payouts.length} withdrawals, each paid once`,
      );
    }
    expect(h.crashes).toBe(STEPS.length);
    expect(await h.proc!.stop()).toBe(0);
  });

  // CI on 2026-12-03 (CRASH_SEED=365919571) found a real fault here: after a kill between the
  // signers' signatures and the `signed` record, the signers' newest settlement was a version
  // with no txid on the coordinator's row, which it took for a stranger ("its newest
  // settlement … is not one this coordinator made"), and the pipeline stopped. Fixed in
  // src/api/coordinator/settlement/sync.ts (a version in flight is known by its PSBT's txid;
  // test/api/coordinator/settlement/sync.test.ts recreates that state).
  it(`at random moments (${TRIALS} trials, CRASH_SEED=${SEED}): every batch settles once`, {
    timeout: 300_000,
  }, async () => {
    const rand = prng(SEED);
    const h = new Harness('multisig-p2wsh');
    await h.open(20_000_000n);
    let amount = 30_000n;
    /**
     * One flow: `batches` submitted with random gaps while the network mines whatever is
     * broadcast; the coordinator killed at each of `moments` in turn (the next one once the
     * restart after the one before is up) and restarted; then mined until all are settled.
     */
    const flow = async (batches: number, moments: Moment[]) => {
      const gaps = Array.from({ length: batches }, () => Math.floor(rand() * 400));
      const sizes = Array.from({ length: batches }, () => 1 + Math.floor(rand() * 2));
      const first = h.batchIds.length;
      const at: string[] = [];
      const killer = (async () => {
        for (const m of moments) {
          // The moment: the chosen batch at (or past) the chosen step, then a random delay.
          await pollFast(
            () => {
              const id = h.batchIds[first + m.batch];
              return id === undefined ? 'none' : stepOf(h.batch(id))!;
            },
            (step) => STEP_ORDER.indexOf(step) >= STEP_ORDER.indexOf(m.step),
            120_000,
            `batch ${m.batch + 1} of the flow at ${m.step}`,
            false,
          );
          await sleep(m.delayMs);
          const { dead, restarted } = h.crashAndRestart();
          await dead;
          const steps = h.batchIds.slice(first).map((id) => stepOf(h.batch(id)));
          at.push(`batch ${m.batch + 1} ${m.step} + ${m.delayMs} ms (dead at ${steps.join(',')})`);
          await restarted;
        }
      })();
      const submitter = (async () => {
        for (let b = 0; b < batches; b++) {
          await sleep(gaps[b]!);
          await h.submit(Array.from({ length: sizes[b]! }, () => amount++));
        }
      })();
      // While the crashes happen: mine whatever the pipeline broadcast, as the network would.
      let crashing = true;
      const miner = (async () => {
        while (crashing) {
          if ((await node.rpc<string[]>('getrawmempool')).length > 0) await node.mine(1);
          await sleep(150);
        }
      })();
      try {
        await Promise.all([killer, submitter]);
      } finally {
        crashing = false;
        await miner;
      }
      await h.settleAll();
      expect(h.batchIds.length - first).toBe(batches);
      return at.join('; ');
    };
    for (let trial = 0; trial < TRIALS; trial++) {
      const batches = 2 + Math.floor(rand() * 2);
      const kills = rand() < 0.3 ? 2 : 1;
      // A random step of a random batch of the flow, then up to 300 ms more: anywhere in a
      // step's work (mid-execution, between two writes, mid-session, mid-broadcast).
      const moments = Array.from({ length: kills }, () => ({
        batch: Math.floor(rand() * batches),
        step: STEPS[Math.floor(rand() * STEPS.length)]!,
        delayMs: Math.floor(rand() * 300),
      }));
      const crashes = await flow(batches, moments);
      const order = await h.verify();
      await h.expectSignersInStep();
      console.info(
        `trial ${trial}: ${batches} batches, killed at ${crashes}: ${order.length} settlements so far, each withdrawal paid once (${h.keysLost} submissions sent again under a new key)`,
      );
    }
    expect(await h.proc!.stop()).toBe(0);
  });

  it('a signer killed mid-session: the other two complete it; below the threshold the settlement waits, then resumes after a restart', {
    timeout: 180_000,
  }, async () => {
    const h = new Harness('frost');
    await h.open(5_000_000n);
    const db = h.database();
    // The coordinator does not link a settlement's sessions to it (SigningSession.settlementId
    // stays null): a settlement's are the ones after those already there.
    const mark = () =>
      (db.prepare('SELECT MAX(rowid) AS n FROM SigningSession').get() as { n: number | null }).n ??
      0;
    const sessionsAfter = (rowid: number) =>
      db
        .prepare(
          'SELECT id, status, participants FROM SigningSession WHERE rowid > ? ORDER BY rowid',
        )
        .all(rowid) as { id: string; status: string; participants: string }[];

    // 1. One signer killed while the session runs: the other two complete it.
    const beforeA = mark();
    await h.submit([40_000n, 41_000n]);
    const running = await pollFast(
      () => sessionsAfter(beforeA),
      (rows) => rows.some((r) => r.status === 'round1' || r.status === 'round2'),
      60_000,
      'a signing session',
    );
    const session = running.find((r) => r.status === 'round1' || r.status === 'round2')!;
    // A signer already chosen for round 2 if there is one, else one that may still be asked.
    const victim = (JSON.parse(session.participants) as string[])[0] ?? 'signer-1';
    process.kill(h.signers.get(victim)!, 'SIGKILL');
    await h.settleAll();
    const signedA = sessionsAfter(beforeA).filter((r) => r.status === 'signed');
    expect(signedA).toHaveLength(1);
    const byA = JSON.parse(signedA[0]!.participants) as string[];
    expect(byA).toHaveLength(2);
    // Signed in the session running at the kill (by the other two, or by the dead signer if
    // its share came first) or in a later one, which cannot have asked the dead signer.
    if (signedA[0]!.id !== session.id) expect(byA).not.toContain(victim);
    console.info(
      `${victim} killed at ${session.status} of the session: signed by ${byA.join(' and ')} in ${signedA[0]!.id === session.id ? 'that session' : 'a later one'}`,
    );
    expect(alive(h.signers.get(victim)!)).toBe(false);
    await h.verify();

    // 2. A second signer down before the next settlement is signed: one of three is below the
    // threshold, so the settlement waits in `signing` (not failed, nothing broadcast) ...
    const [second, third] = ['signer-1', 'signer-2', 'signer-3'].filter((n) => n !== victim);
    const beforeB = mark();
    const b = await h.submit([42_000n]);
    process.kill(h.signers.get(second!)!, 'SIGKILL');
    await pollFast(
      () => stepOf(h.batch(b)),
      (s) => s === 'signing',
      60_000,
      'the next settlement signing',
      false,
    );
    await sleep(4_000); // a few cron ticks
    expect(stepOf(h.batch(b))).toBe('signing');
    expect(await node.rpc<string[]>('getrawmempool')).toEqual([]);
    expect(sessionsAfter(beforeB).filter((r) => r.status === 'signed')).toEqual([]);
    // ... and resumes once a restart (a crash here) brings its signers back.
    const { orphans, restarted } = h.crashAndRestart();
    expect(orphans).toHaveLength(3);
    await restarted;
    await h.settleAll();
    const signedB = sessionsAfter(beforeB).filter((r) => r.status === 'signed');
    expect(signedB).toHaveLength(1);
    await h.verify();
    const signers = await h.call('GET', '/v1/signers');
    const heads = Object.fromEntries(
      signers.body.items.map((s: { name: string; rollupBatchNumber: number }) => [
        s.name,
        s.rollupBatchNumber,
      ]),
    );
    // The two that knew every settlement are in step. The first one killed stays behind when
    // it missed settlement A: its node no longer shows the outputs A spent, so it cannot check
    // A now (a signer down while a settlement is mined does not rejoin; see the report).
    expect([heads[second!], heads[third!]]).toEqual([2, 2]);
    console.info(
      `${second} killed before signing: waited, then signed by ${JSON.parse(signedB[0]!.participants).join(' and ')} after the restart; heads ${JSON.stringify(heads)}`,
    );
    expect(await h.proc!.stop()).toBe(0);
  });
});
