/**
 * What `custody settle` runs: the store, the local signers and the custody key (as `custody
 * start` opens them), batch files executed and recorded, then the settlement pipeline until the
 * newest settlement reaches the status asked for.
 */

import { mkdirSync } from 'node:fs';
import { address } from 'bitcoinjs-lib';
import { hex } from '../../../settlement/custody-types/keys.ts';
import { settlementNetwork } from '../../../settlement/networks.ts';
import type { Config } from '../../../shared/config.ts';
import { ConflictError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { openStore, type Store } from '../../../store/store.ts';
import type { LaunchedSigner } from '../../signer/supervisor.ts';
import { saveAccessList } from '../access-lists.ts';
import { approvalPolicy } from '../approvals/policy.ts';
import {
  type BatchRunner,
  executeAndRecord,
  type RecordedBatch,
  recoverReceivedBatches,
} from '../batches.ts';
import { pipelineLease } from '../cron/lease.ts';
import { type Custody, openLocalCustody } from '../custody.ts';
import { registerWithLocalSigners } from '../local-signer-records.ts';
import { loadCoordinatorIdentity, refuseSharedKek, startLocalSigners } from '../local-signers.ts';
import {
  checkBatchChain,
  type NodeWorldState,
  nodeGenesis,
  openNodeWorldState,
} from '../world-state.ts';
import type { SettlementDeps } from './deps.ts';
import { acquireSettleLock } from './lock.ts';
import { custodyTypeOf, openSettlement, registerOutput } from './open.ts';
import { runSettlementPipeline, type StepResult } from './pipeline.ts';
import { reservesNow } from './propose.ts';

export interface RunSettleOpts {
  config: Config;
  log: Logger;
  batches: unknown[];
  until: string | undefined;
  timeoutMs: number;
  registerOutput: string | undefined;
  bumpAfterBlocks?: number;
  faultExitAfter?: string;
  onSignal(close: () => Promise<void>): void;
}

export interface SettleSummary {
  custody: { scheme: string; address: string; scriptPubKey: string; descriptor: string };
  batches: RecordedBatch[];
  steps: StepResult[];
  settlement: Record<string, unknown> | null;
  reserves?: Record<string, unknown>;
  registered?: Record<string, unknown>;
}

export async function runSettle(opts: RunSettleOpts): Promise<SettleSummary> {
  refuseSharedKek(opts.config.signerKekFile);
  mkdirSync(opts.config.dataDir, { recursive: true });
  const lock = acquireSettleLock(opts.config.dataDir);
  let store: Store;
  try {
    store = await openStore({ databaseUrl: opts.config.databaseUrl });
  } catch (error) {
    lock.release();
    throw error;
  }
  let signers: LaunchedSigner[] = [];
  // The database's pipeline lease too: a `custody start` driving it must not be raced.
  const lease = pipelineLease(store.target, opts.log);
  const close = async () => {
    await Promise.all(signers.map((s) => s.stop()));
    await lease.release();
    await store.close();
    lock.release();
  };
  opts.onSignal(close);
  try {
    if (!(await lease.hold())) {
      throw new ConflictError(
        "another process (a custody start?) drives this database's settlement pipeline",
      );
    }
    signers = await startLocalSigners({
      dataDir: opts.config.dataDir,
      coordinator: loadCoordinatorIdentity(opts.config.dataDir),
      log: opts.log,
      chain: opts.config,
    });
    const custody = await openLocalCustody(store.db, opts.config.scheme, signers);
    const type = custodyTypeOf(custody);
    const about = {
      scheme: custody.key.scheme,
      address: address.fromOutputScript(
        type.scriptPubKey,
        settlementNetwork(opts.config.network).bitcoinjs,
      ),
      scriptPubKey: hex(type.scriptPubKey),
      descriptor: custody.key.descriptor,
    };
    if (opts.registerOutput !== undefined) {
      const o = registerOutput(opts.config.dataDir, opts.registerOutput, type);
      await registerWithLocalSigners({ config: opts.config, custody, log: opts.log });
      return {
        custody: about,
        batches: [],
        steps: [],
        settlement: null,
        registered: { ...o, valueSats: o.valueSats.toString() },
      };
    }
    await registerWithLocalSigners({ config: opts.config, custody, log: opts.log });
    const batches = await runBatches(opts, store);
    return { custody: about, batches, ...(await drive(opts, store, custody)) };
  } finally {
    await close();
  }
}

/**
 * Batches a crash left half-recorded are finished first, then the new batch files run in order.
 * Every file is parsed before anything is stored, so a bad one changes nothing.
 */
async function runBatches(opts: RunSettleOpts, store: Store): Promise<RecordedBatch[]> {
  const received = await store.db.batch.count({ where: { status: 'received' } });
  if (opts.batches.length === 0 && received === 0) return [];
  const { parseBatch } = await import('../../../execution/batch.ts');
  for (const input of opts.batches) parseBatch(input);
  const pool = await import('../../../execution/parallel/pool.ts');
  pool.acquireWorkers(pool.defaultWorkerCount());
  let world: NodeWorldState | undefined;
  try {
    const { runParallel } = await import('../../../execution/parallel/index.ts');
    const w = await openNodeWorldState(opts.config);
    world = w;
    const runner: BatchRunner = {
      parse(input) {
        const batch = parseBatch(input);
        checkBatchChain(batch, w.chainId);
        return batch;
      },
      run: (batch, ws, commit) => runParallel(batch, { worldState: ws, commit }),
      keepAccessList: (number, list) => saveAccessList(opts.config.dataDir, number, list),
      ...(opts.faultExitAfter === 'batch-committed'
        ? {
            afterCommit: (id: string) => {
              opts.log.warn(
                { batchId: id },
                'fault injection: exiting after the world-state commit',
              );
              process.exit(75);
            },
          }
        : {}),
    };
    const recorded = await recoverReceivedBatches(store.db, w.ws, runner);
    for (const input of opts.batches)
      recorded.push(await executeAndRecord(store.db, w.ws, input, runner));
    return recorded;
  } finally {
    await world?.ws.close();
    await pool.closeWorkerPool();
  }
}

async function drive(
  opts: RunSettleOpts,
  store: Store,
  custody: Custody,
): Promise<Omit<SettleSummary, 'batches' | 'custody'>> {
  const deps: SettlementDeps = openSettlement({
    config: opts.config,
    db: store.db,
    custody,
    chainId: nodeGenesis(opts.config).chainId,
    log: opts.log,
    ...(opts.bumpAfterBlocks === undefined ? {} : { bumpAfterBlocks: opts.bumpAfterBlocks }),
    afterTransition: (id, status) => {
      if (status === opts.faultExitAfter) {
        opts.log.warn(
          { settlementId: id, status },
          'fault injection: exiting after this transition',
        );
        process.exit(75);
      }
    },
  });
  // Approvers configured: the operator's command does not stand in for them.
  const a = opts.config.approvals;
  if (opts.config.autoApprove || a.treasurers.length > 0 || a.institutionQuorum > 0) {
    deps.approvals = approvalPolicy({
      db: store.db,
      settings: a,
      autoApprove: opts.config.autoApprove,
      network: settlementNetwork(opts.config.network),
      chainId: nodeGenesis(opts.config).chainId,
    });
  }
  const deadline = Date.now() + opts.timeoutMs;
  const steps: StepResult[] = [];
  for (;;) {
    const run = await runSettlementPipeline(deps);
    steps.push(...run);
    const newest = await store.db.settlement.findFirst({ orderBy: { createdAt: 'desc' } });
    const last = run[run.length - 1];
    if (reached(opts.until, newest?.status, last)) {
      return { steps, settlement: summary(newest), reserves: await reservesNow(deps) };
    }
    if (Date.now() > deadline) {
      throw new ConflictError(
        `timed out waiting for ${opts.until}; the newest settlement is ${newest?.status ?? 'none'}${last?.detail ? ` (${last.detail})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.config.settleIntervalMs));
  }
}

function reached(
  until: string | undefined,
  status: string | undefined,
  last: StepResult | undefined,
): boolean {
  if (until === undefined) return true;
  if (until === 'idle') return last?.status === 'idle';
  if (status === 'held' || last?.status === 'held') return true;
  const order = ['proposed', 'approved', 'signing', 'signed', 'broadcast', 'confirmed'];
  if (status === 'exported') return true;
  return (
    status !== undefined && order.indexOf(status) >= order.indexOf(until) && order.includes(until)
  );
}

function summary(
  row: Awaited<ReturnType<Store['db']['settlement']['findFirst']>>,
): Record<string, unknown> | null {
  if (row === null) return null;
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    txid: row.txid,
    batchNumber: row.batchNumber,
    feeSats: row.feeSats?.toString() ?? null,
    feeRate: row.feeRate,
    confirmations: row.confirmations,
    blockHash: row.blockHash,
    replaced:
      row.replacedTxids === null
        ? []
        : (JSON.parse(row.replacedTxids) as { txid: string }[]).map((v) => v.txid),
    exported: row.exported === null ? null : JSON.parse(row.exported),
  };
}
