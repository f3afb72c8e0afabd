/**
 * The settlement cron: every SETTLE_INTERVAL_MS (croner; its resolution is one second, so
 * shorter intervals tick every second) it moves everything along the pipeline, as the one
 * process holding the pipeline lease: batches a crash left half-recorded are finished,
 * submitted batches are numbered and executed, and the settlement pipeline runs its persisted
 * transitions (propose → approvals → signing → broadcast → confirmations) until it has to wait.
 *
 * A tick never overlaps another: `kick()` (a batch arrived, an approval was given) runs one at
 * once, or right after the running one. A tick that made progress runs the next at once.
 */
import { Cron } from 'croner';
import type { Logger } from '../../../shared/logger.ts';
import type { PipelineMetrics } from '../metrics.ts';
import type { PipelineLease } from './lease.ts';

export interface CronSteps {
  /** Execute what waits; resolves to the number of batches recorded. */
  execute(): Promise<number>;
  /**
   * Run the settlement pipeline until it waits; resolves true when it changed something.
   * `stillHeld` is asked before each transition: a lease lost mid-tick stops the tick.
   */
  settle(stillHeld: () => Promise<boolean>): Promise<boolean>;
}

export interface SettlementCronOpts {
  intervalMs: number;
  lease: PipelineLease;
  steps: () => CronSteps | undefined;
  metrics: PipelineMetrics;
  log: Logger;
}

export interface SettlementCron {
  kick(): void;
  /** Resolves once no tick runs and none will; releases the lease. */
  stop(): Promise<void>;
}

export function startSettlementCron(opts: SettlementCronOpts): SettlementCron {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const tickOnce = async (): Promise<boolean> => {
    const steps = opts.steps();
    if (steps === undefined) return false; // the custody is still starting
    if (!(await opts.lease.hold())) {
      opts.metrics.ticks.inc({ outcome: 'standby' });
      return false;
    }
    const executed = await timed(opts.metrics, 'execute', () => steps.execute());
    const settled = await steps.settle(() => opts.lease.hold());
    opts.metrics.ticks.inc({ outcome: 'drove' });
    return executed > 0 || settled;
  };

  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          if (await tickOnce()) again = true;
        } while (again && !stopped);
      } catch (error) {
        opts.metrics.ticks.inc({ outcome: 'error' });
        opts.log.error({ err: error }, 'settlement cron tick failed; retrying at the next tick');
      } finally {
        running = undefined;
      }
    })();
  };

  const seconds = Math.max(1, Math.round(opts.intervalMs / 1000));
  const job = new Cron('* * * * * *', { interval: seconds, name: 'settlement-cron' }, run);
  run();
  return {
    kick: run,
    async stop() {
      stopped = true;
      job.stop();
      await running;
      await opts.lease.release();
    },
  };
}

async function timed<T>(metrics: PipelineMetrics, step: string, fn: () => Promise<T>): Promise<T> {
  const end = metrics.stepSeconds.startTimer({ step });
  try {
    return await fn();
  } finally {
    end();
  }
}
