/** What the coordinator's REST routes run on. */
import type { Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Db } from '../../../store/store.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';
import type { Custody } from '../custody.ts';
import type { PipelineMetrics } from '../metrics.ts';
import type { SettlementDeps } from '../settlement/deps.ts';
import type { BlockSettings } from '../world-state.ts';

export interface RestDeps {
  db: Db;
  config: Config;
  log: Logger;
  chainId: bigint;
  block: BlockSettings;
  /** The custody once its signers are up and its key is established (start-up is async). */
  custody: () => Custody | undefined;
  /** The settlement pipeline's dependencies, once the custody is up. */
  settlement: () => SettlementDeps | undefined;
  approvals: ApprovalPolicy;
  metrics: PipelineMetrics;
  /** Asks the cron to run now (a batch arrived, an approval was given). */
  kick: () => void;
}
