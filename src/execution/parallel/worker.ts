/**
 * A Block-STM worker: reads the batch's pre-state (the batch file's, or the world state's at a
 * root, read lazily from the shared memory map), holds a replica of multi-version memory kept
 * current by the coordinator's broadcasts, and one VM whose state manager is a VersionedState.
 * Decodes transactions and recovers senders itself.
 */
import { parentPort } from 'node:worker_threads';
import type { Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { EVM } from '@ethereumjs/evm';
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import type { Account, Address } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import { makeCommon } from '../crypto.ts';
import { shortMessage } from '../decode.ts';
import { historyStub, makeBlock } from '../env.ts';
import { CREDIT_OVERFLOW } from '../errors.ts';
import { executeTx, type TxOutcome } from '../txrun.ts';
import { openWorldState, type WorldState } from '../world-state/world-state.ts';
import type { ReadSet } from './committedReads.ts';
import { FeeLedger } from './fees.ts';
import type { Value } from './keys.ts';
import { LazyAccount } from './lazyAccount.ts';
import { MVMemory } from './mvmemory.ts';
import { explicitPreView, type PreView, snapshotPreView } from './preView.ts';
import type { BatchState, Executed, FromWorker, ToWorker } from './protocol.ts';
import { type VersionedContext, VersionedState } from './versionedState.ts';

interface Session {
  common: Common;
  block: Block;
  vm: VM;
  state: VersionedState;
  ctx: VersionedContext;
  raw: Uint8Array[];
  decoded: (TypedTransaction | undefined)[];
}

let session: Session | undefined;
const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');

function send(msg: FromWorker): void {
  port?.postMessage(msg);
}

async function openBatch(msg: Extract<ToWorker, { t: 'batch' }>): Promise<void> {
  const common = makeCommon(msg.env.chainId, 'fast');
  const keccak = common.customCrypto.keccak256 as (d: Uint8Array) => Uint8Array;
  const codes = new Map<string, Uint8Array>();
  const ctx: VersionedContext = {
    mv: new MVMemory(),
    pre: await preView(msg.state, keccak),
    fees: new FeeLedger(msg.txs.length),
    codes,
    coinbase: Buffer.from(msg.env.coinbase).toString('hex'),
    keccak256: keccak,
  };
  const state = new VersionedState(ctx);
  const vm = await createVM({ common, stateManager: state, blockchain: historyStub(keccak) });
  // After the top-level call returns, runTx only refunds the sender and pays the coinbase.
  // Nested CALLs and CREATEs go through the same runCall, so count the depth.
  const runCall = vm.evm.runCall.bind(vm.evm);
  vm.evm.runCall = async (opts) => {
    state.callDepth++;
    try {
      return await runCall(opts);
    } finally {
      state.callDepth--;
      if (state.callDepth === 0) state.postPhase = true;
    }
  };
  creditWithoutReading(vm.evm as EVM, common, msg.credits);
  msg.known?.forEach((entry, tx) => {
    ctx.mv.record(tx, 0, entry.writes);
    ctx.fees.set(tx, entry.fee);
    for (const [hash, code] of entry.codes) codes.set(hash, code);
  });
  session = {
    common,
    block: makeBlock(msg.env, common),
    vm,
    state,
    ctx,
    raw: msg.txs,
    decoded: new Array(msg.txs.length),
  };
  send({ t: 'ready', id: msg.id });
}

type AddToBalance = (toAccount: Account, message: { to: Address; value: bigint }) => Promise<void>;

/**
 * EVM._addToBalance reads the callee's balance to add to it, so every call would depend on
 * every earlier transfer into the callee. Adding zero changes nothing but the touch, which
 * journal.putAccount records: that is all this does for a zero value. Any other value is
 * deferred as a credit (keys.ts) when the callee's balance is not loaded yet; its overflow
 * check moves to where credits are summed (CREDIT_OVERFLOW). The original runs otherwise, and
 * always when EIP-7928 access lists are on (they record balances).
 */
function creditWithoutReading(evm: EVM, common: Common, defer: boolean): void {
  if (common.isActivatedEIP(7928)) return;
  const target = evm as unknown as { _addToBalance: AddToBalance };
  const credit = target._addToBalance.bind(evm);
  target._addToBalance = async (toAccount, message) => {
    const deferred =
      message.value === 0n ||
      (defer && toAccount instanceof LazyAccount && toAccount.deferCredit(message.value));
    if (!deferred) return credit(toAccount, message);
    await evm.journal.putAccount(message.to, toAccount);
  };
}

/** The read-only world state last used, kept open across batches (opening maps the file). */
let reader: WorldState | undefined;

async function preView(state: BatchState, keccak: (d: Uint8Array) => Uint8Array): Promise<PreView> {
  if ('pre' in state) return explicitPreView(state.pre, keccak);
  const { dir, root } = state.world;
  if (reader?.dir !== dir) {
    await reader?.close();
    reader = undefined;
    reader = await openWorldState(dir, { readOnly: true });
  }
  return snapshotPreView(reader.snapshot(root));
}

/** `clear()` keeps the checkpoint stack; an aborted incarnation may have left entries on it. */
function resetTransientStorage(vm: VM): void {
  const ts = (vm.evm as EVM).transientStorage as unknown as { clear(): void; _indices: number[] };
  ts.clear();
  ts._indices = [0];
}

function flatReads(reads: ReadSet): NonNullable<Executed['reads']> {
  const keys = [...reads.versions.keys()];
  const versions = new Int32Array(keys.length * 2);
  let i = 0;
  for (const [writer, inc] of reads.versions.values()) {
    versions[i++] = writer;
    versions[i++] = inc;
  }
  const out: NonNullable<Executed['reads']> = {
    keys,
    versions,
    feeSum: reads.feeSum,
    feeNonZero: reads.feeNonZero,
  };
  if (reads.chains.size > 0) out.chains = [...reads.chains];
  return out;
}

function decoded(s: Session, tx: number): TypedTransaction | string {
  const cached = s.decoded[tx];
  if (cached !== undefined) return cached;
  try {
    const t = createTxFromRLP(s.raw[tx] as Uint8Array, { common: s.common }) as TypedTransaction;
    t.getSenderAddress(); // recover once here, cached by the transaction object
    s.decoded[tx] = t;
    return t;
  } catch (error) {
    return shortMessage(error);
  }
}

async function execute(tx: number, inc: number): Promise<Executed> {
  const started = performance.now();
  const result = await executeIncarnation(tx, inc);
  // How long one thread spends on this transaction: the batch's sequential estimate.
  result.ms = performance.now() - started;
  return result;
}

async function executeIncarnation(tx: number, inc: number): Promise<Executed> {
  const s = session as Session;
  const t = decoded(s, tx);
  s.state.begin(tx);
  // An incarnation stopped by an ESTIMATE unwinds past the EVM's depth-0 clean-up, which is
  // what clears EIP-1153 transient storage: start every incarnation with a fresh one.
  resetTransientStorage(s.vm);
  let outcome: TxOutcome;
  try {
    outcome = typeof t === 'string' ? { ok: false, reason: t } : await executeTx(s.vm, t, s.block);
  } catch (error) {
    // A node fault. Speculation may have read an inconsistent state, so it is a value here:
    // validation re-executes the incarnation if its reads were stale, and the coordinator
    // fails the batch loudly if the validated incarnation still ends in a fault.
    outcome = { ok: false, reason: shortMessage(error), fault: true };
  }
  if (s.state.blockedBy !== undefined) return { t: 'done', tx, inc, blockedBy: s.state.blockedBy };
  // The EVM may have caught the overflow as an error of the call: it is the node's, not the tx's.
  if (s.state.overflowed) outcome = { ok: false, reason: CREDIT_OVERFLOW, fault: true };
  const fee = outcome.ok ? outcome.minerValue : 0n;
  const writes = outcome.ok ? s.state.writeSet(fee) : [];
  if (s.state.blockedBy !== undefined) return { t: 'done', tx, inc, blockedBy: s.state.blockedBy };
  const codes = outcome.ok ? [...s.state.newCodes] : [];
  return { t: 'done', tx, inc, outcome, reads: flatReads(s.state.reads), writes, codes, fee };
}

// One message at a time, in arrival order: an update must never land inside an incarnation.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue
    .then(() => handle(msg))
    .catch((error: unknown) => send({ t: 'fatal', message: String(error) }));
});

function applyUpdate(
  tx: number,
  inc: number,
  writes: [string, Value][],
  codes: [string, Uint8Array][],
  fee: bigint,
): void {
  const ctx = (session as Session).ctx;
  ctx.mv.record(tx, inc, writes);
  ctx.fees.set(tx, fee);
  for (const [hash, code] of codes) ctx.codes.set(hash, code);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.t) {
    case 'batch':
      return openBatch(msg);
    case 'update':
      applyUpdate(msg.tx, msg.inc, msg.writes, msg.codes, msg.fee);
      return;
    case 'estimate':
      (session as Session).ctx.mv.markEstimates(msg.tx);
      return;
    case 'exec': {
      const result = await execute(msg.tx, msg.inc);
      if (msg.apply === true && result.blockedBy === undefined) {
        applyUpdate(
          result.tx,
          result.inc,
          result.writes ?? [],
          result.codes ?? [],
          result.fee ?? 0n,
        );
      }
      send(result);
      return;
    }
    case 'many':
      for (const m of msg.msgs) await handle(m);
      return;
  }
}
