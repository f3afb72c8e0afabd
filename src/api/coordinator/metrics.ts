/**
 * The coordinator's pipeline metrics, beside the HTTP ones on the same registry: batches and
 * settlements by status and signing sessions by status (read from the database when
 * /metrics is scraped, so they are right after a restart), counters of submissions and
 * broadcasts, and the latency of each pipeline step.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../../store/store.ts';

export interface PipelineMetrics {
  registry: Registry;
  batchesSubmitted: Counter;
  transactionsSubmitted: Counter;
  broadcasts: Counter;
  transitions: Counter<'status'>;
  ticks: Counter<'outcome'>;
  stepSeconds: Histogram<'step'>;
}

const PREFIX = 'custody_';

export function createPipelineMetrics(db: Db): PipelineMetrics {
  const registry = new Registry();
  const registers = [registry];
  byStatus(
    registry,
    'batches',
    'Batches by status',
    () => db.batch.groupBy(COUNT_BY_STATUS as never) as unknown as Promise<StatusCounts>,
  );
  byStatus(
    registry,
    'settlements',
    'Settlements by status',
    () => db.settlement.groupBy(COUNT_BY_STATUS as never) as unknown as Promise<StatusCounts>,
  );
  byStatus(
    registry,
    'signing_sessions',
    'Signing sessions by status',
    () => db.signingSession.groupBy(COUNT_BY_STATUS as never) as unknown as Promise<StatusCounts>,
  );
  return {
    registry,
    batchesSubmitted: new Counter({
      name: `${PREFIX}batches_submitted_total`,
      help: 'Batches accepted by POST /v1/batches',
      registers,
    }),
    transactionsSubmitted: new Counter({
      name: `${PREFIX}transactions_submitted_total`,
      help: 'Transactions in batches accepted by POST /v1/batches',
      registers,
    }),
    broadcasts: new Counter({
      name: `${PREFIX}settlement_broadcasts_total`,
      help: 'Settlement transactions (and fee bumps) handed to the Bitcoin node',
      registers,
    }),
    transitions: new Counter({
      name: `${PREFIX}settlement_transitions_total`,
      help: 'Persisted settlement transitions by the status reached',
      labelNames: ['status'],
      registers,
    }),
    ticks: new Counter({
      name: `${PREFIX}cron_ticks_total`,
      help: 'Settlement cron ticks by outcome (drove, standby without the lease, error)',
      labelNames: ['outcome'],
      registers,
    }),
    stepSeconds: new Histogram({
      name: `${PREFIX}pipeline_step_seconds`,
      help: 'Time per pipeline step: execute (the batches of a tick), and each settlement transition by the status it reached (wait: nothing to do yet)',
      labelNames: ['step'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    }),
  };
}

// Prisma's groupBy types cannot be satisfied generically; the shape is checked by the tests.
const COUNT_BY_STATUS = { by: ['status'], _count: { _all: true } };
type StatusCounts = { status: string; _count: { _all: number } }[];

function byStatus(
  registry: Registry,
  what: string,
  help: string,
  read: () => Promise<StatusCounts>,
): void {
  new Gauge({
    name: `${PREFIX}${what}`,
    help,
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await read()) this.set({ status: row.status }, row._count._all);
    },
  });
}
