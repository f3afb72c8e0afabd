/**
 * `custody start`: opens the store (applying migrations) and the node's world state, serves the
 * coordinator's REST API on 127.0.0.1:$PORT, starts the local signers and the custody key, and
 * runs the settlement cron; shuts down cleanly on SIGINT/SIGTERM.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseBatch } from '../../execution/batch.ts';
import { runParallel } from '../../execution/parallel/index.ts';
import {
  acquireWorkers,
  closeWorkerPool,
  defaultWorkerCount,
} from '../../execution/parallel/pool.ts';
import { settlementNetwork } from '../../settlement/networks.ts';
import type { Config } from '../../shared/config.ts';
import { ConfigError, CustodyError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { openStore, type Store } from '../../store/store.ts';
import { createProblemServer } from '../http/problem.ts';
import type { LaunchedSigner } from '../signer/supervisor.ts';
import { saveAccessList } from './access-lists.ts';
import { createCoordinatorApp } from './app.ts';
import { approvalPolicy } from './approvals/policy.ts';
import { type BatchRunner, catchUp, executeSubmitted, recoverReceivedBatches } from './batches.ts';
import { pipelineLease } from './cron/lease.ts';
import { type CronSteps, type SettlementCron, startSettlementCron } from './cron/settle-cron.ts';
import { type Custody, openLocalCustody } from './custody.ts';
import { registerWithLocalSigners } from './local-signer-records.ts';
import { loadCoordinatorIdentity, refuseSharedKek, startLocalSigners } from './local-signers.ts';
import { createPipelineMetrics, type PipelineMetrics } from './metrics.ts';
import type { RestDeps } from './rest/deps.ts';
import type { SettlementDeps } from './settlement/deps.ts';
import { openSettlement } from './settlement/open.ts';
import { type StepResult, settlementStep } from './settlement/pipeline.ts';
import {
  checkBatchChain,
  type NodeWorldState,
  nodeBlockSettings,
  openNodeWorldState,
} from './world-state.ts';

export interface RunningCoordinator {
  url: string;
  store: Store;
  custody: Custody;
  worldState: NodeWorldState;
  /** Runs a cron tick now (tests; a submission or an approval does the same). */
  kick(): void;
  /** The settlement pipeline's dependencies (custody type, policy, backend). */
  settlement: SettlementDeps;
  /** The local signer processes. */
  signers: readonly LaunchedSigner[];
  close(): Promise<void>;
}

export const LISTEN_HOST = '127.0.0.1';

export async function startCoordinator(
  config: Config,
  log: Logger,
  version: string,
): Promise<RunningCoordinator> {
  refuseSharedKek(config.signerKekFile);
  const store = await openStore({ databaseUrl: config.databaseUrl });
  let custody: Custody | undefined;
  let settlement: SettlementDeps | undefined;
  let signers: LaunchedSigner[] = [];
  let server: Server | undefined;
  let worldState: NodeWorldState | undefined;
  let cron: SettlementCron | undefined;
  let workers = false;
  const close = async () => {
    await cron?.stop();
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await Promise.all(signers.map((s) => s.stop()));
    if (workers) await closeWorkerPool();
    await worldState?.ws.close();
    await store.close();
  };
  try {
    // Before listening: a data directory holding another chain's state must stop start-up.
    const ws = await openNodeWorldState(config);
    worldState = ws;
    const head = ws.ws.head();
    log.info({ height: head.height, root: head.root }, 'world state opened');
    const metrics = createPipelineMetrics(store.db);
    const approvals = approvalPolicy({
      db: store.db,
      settings: config.approvals,
      autoApprove: config.autoApprove,
      network: settlementNetwork(config.network),
      chainId: ws.chainId,
    });
    warnDevelopmentSettings(config, log);
    const rest: RestDeps = {
      db: store.db,
      config,
      log,
      chainId: ws.chainId,
      block: nodeBlockSettings(config),
      custody: () => custody,
      settlement: () => settlement,
      approvals,
      metrics,
      kick: () => cron?.kick(),
    };
    const { app } = createCoordinatorApp({
      store,
      log,
      version,
      custody: () => custody,
      worldState: ws,
      rest,
    });
    // Listen first: a taken port fails start-up before any signer process is spawned.
    server = await listen(app, config.port);
    const { port } = server.address() as AddressInfo;
    const url = `http://${LISTEN_HOST}:${port}`;
    log.info({ url, database: store.provider }, 'coordinator listening');
    const coordinator = loadCoordinatorIdentity(config.dataDir);
    signers = await startLocalSigners({
      dataDir: config.dataDir,
      coordinator,
      log,
      chain: config,
    });
    const c = await openLocalCustody(store.db, config.scheme, signers);
    custody = c;
    await registerWithLocalSigners({ config, custody: c, log });
    log.info(
      { scheme: c.key.scheme, keyId: c.key.id, descriptor: c.key.descriptor },
      'custody key ready',
    );
    acquireWorkers(defaultWorkerCount());
    workers = true;
    settlement = {
      ...openSettlement({
        config,
        db: store.db,
        custody: c,
        chainId: ws.chainId,
        log,
        afterTransition: (_id, status) => {
          metrics.transitions.inc({ status });
          if (status === 'broadcast') metrics.broadcasts.inc();
        },
      }),
      approvals,
    };
    const steps = cronSteps(config, store, ws, rest, settlement);
    cron = startSettlementCron({
      intervalMs: config.settleIntervalMs,
      lease: pipelineLease(store.target, log),
      steps: () => steps,
      metrics,
      log,
    });
    return {
      url,
      store,
      custody: c,
      worldState: ws,
      kick: () => cron?.kick(),
      settlement,
      signers,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What one cron tick runs: batches (recovered, then submitted ones), then the pipeline. */
function cronSteps(
  config: Config,
  store: Store,
  ws: NodeWorldState,
  rest: RestDeps,
  settlement: SettlementDeps,
): CronSteps {
  const runner: BatchRunner = {
    parse(input) {
      const batch = parseBatch(input);
      checkBatchChain(batch, ws.chainId);
      return batch;
    },
    run: (batch, state, commit) => runParallel(batch, { worldState: state, commit }),
    keepAccessList: (number, list) => saveAccessList(config.dataDir, number, list),
  };
  return {
    async execute() {
      // Another coordinator may have driven this database while this one stood by.
      const caughtUp = await catchUp(store.db, ws.ws, runner);
      const recovered = await recoverReceivedBatches(store.db, ws.ws, runner);
      const executed = await executeSubmitted(store.db, ws.ws, runner, {
        chainId: ws.chainId,
        ...rest.block,
      });
      return caughtUp + recovered.length + executed.length;
    },
    async settle(stillHeld) {
      let progressed = false;
      for (let i = 0; i < MAX_STEPS_PER_TICK && (await stillHeld()); i++) {
        const step = await timedStep(rest.metrics, () => settlementStep(settlement));
        if (!step.progressed) break;
        progressed = true;
      }
      return progressed;
    },
  };
}

/**
 * The development approval modes stop start-up on Bitcoin mainnet, and AUTO_APPROVE cannot
 * stand in for treasurers someone configured; elsewhere each is warned about.
 */
const MAX_STEPS_PER_TICK = 50;

/** One pipeline transition, timed under the status it reached (proposed, signed, …). */
async function timedStep(
  metrics: PipelineMetrics,
  run: () => Promise<StepResult>,
): Promise<StepResult> {
  const started = process.hrtime.bigint();
  const step = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  metrics.stepSeconds.observe({ step: step.progressed ? step.status : 'wait' }, seconds);
  return step;
}

function warnDevelopmentSettings(config: Config, log: Logger): void {
  if (config.autoApprove && config.approvals.treasurers.length > 0) {
    throw new ConfigError('AUTO_APPROVE', 'cannot be 1 while TREASURERS are configured: unset one');
  }
  if (
    config.network === 'bitcoin' &&
    (config.autoApprove || config.approvals.treasurers.length === 0)
  ) {
    throw new ConfigError(
      config.autoApprove ? 'AUTO_APPROVE' : 'TREASURERS',
      config.autoApprove
        ? 'AUTO_APPROVE=1 is for development networks only, not BITCOIN_NETWORK=bitcoin'
        : 'required on BITCOIN_NETWORK=bitcoin: the treasurers whose approvals gate signing',
    );
  }
  if (config.autoApprove) {
    log.warn('AUTO_APPROVE=1: every settlement is approved without approvers (development only)');
  } else if (config.approvals.treasurers.length === 0) {
    log.warn(
      'no TREASURERS configured: any one address signing an approval is the development treasurer (quorum 1)',
    );
  }
}

function listen(app: import('express').Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Node's own answers (unparsable requests, oversized headers) as problem+json too.
    const server = createProblemServer(app);
    server.listen(port, LISTEN_HOST);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new CustodyError(
            'port-in-use',
            500,
            'Port in use',
            `port ${port} on ${LISTEN_HOST} is already in use (set PORT)`,
          ),
        );
      } else reject(error);
    });
  });
}
