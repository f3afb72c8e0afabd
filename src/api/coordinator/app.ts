/**
 * The coordinator's HTTP app: the operational endpoints and, with `rest`, the /v1 API for the
 * sequencer, institutions, treasurers and admins (one route table, so one OpenAPI document).
 */
import type { Logger } from '../../shared/logger.ts';
import { loadMigrations, MIGRATIONS_TABLE, pendingAfter } from '../../store/migrations.ts';
import type { Store } from '../../store/store.ts';
import { dashboardHandler } from '../dashboard/serve.ts';
import { createHttpApp, type HttpApp } from '../http/app.ts';
import type { ReadinessCheck } from '../http/health.ts';
import type { Route } from '../http/routes.ts';
import type { Custody } from './custody.ts';
import { adminRoutes } from './rest/admin.ts';
import { approvalRoutes } from './rest/approvals.ts';
import { apiAuth } from './rest/auth.ts';
import { batchRoutes } from './rest/batches.ts';
import { custodyRoutes } from './rest/custody.ts';
import type { RestDeps } from './rest/deps.ts';
import { reproposeRoute } from './rest/repropose.ts';
import { settlementRoutes } from './rest/settlements.ts';
import { signInRateLimit, siweRoutes } from './rest/siwe.ts';
import { transactionRoute } from './rest/transaction.ts';
import type { NodeWorldState } from './world-state.ts';

export interface CreateCoordinatorAppOpts {
  store: Store;
  log: Logger;
  version: string;
  /** The custody once its signers are up and its key is established (start-up is async). */
  custody?: () => Custody | undefined;
  /** The node's world state (opened before the app is created). */
  worldState?: NodeWorldState;
  /** The /v1 API. */
  rest?: RestDeps;
}

export function createCoordinatorApp(opts: CreateCoordinatorAppOpts): HttpApp {
  return createHttpApp({
    log: opts.log,
    info: {
      title: 'rollup custody coordinator',
      version: opts.version,
      description:
        'Executes rollup batches, gathers approvals and threshold signatures, and settles state roots on Bitcoin.',
    },
    routes: opts.rest ? restRoutes(opts.rest) : [],
    ...(opts.rest
      ? {
          authFor: apiAuth({ db: opts.store.db, bootstrapKey: opts.rest.config.bootstrapApiKey }),
          registry: opts.rest.metrics.registry,
          before: [signInRateLimit()],
          after: [dashboardHandler()],
        }
      : {}),
    checks: [
      ...storeChecks(opts.store),
      ...(opts.worldState ? [worldStateCheck(opts.worldState)] : []),
      ...(opts.custody ? custodyChecks(opts.custody) : []),
    ],
  });
}

export function restRoutes(deps: RestDeps): Route[] {
  return [
    ...batchRoutes(deps),
    ...settlementRoutes(deps),
    ...approvalRoutes(deps),
    ...custodyRoutes(deps),
    ...adminRoutes(deps),
    ...siweRoutes(deps),
    transactionRoute(deps),
    reproposeRoute(deps),
  ];
}

export function storeChecks(store: Store): ReadinessCheck[] {
  const migrations = loadMigrations(store.provider);
  return [
    {
      name: 'database',
      check: async () => {
        await store.db.$queryRaw`SELECT 1`;
        return { ok: true, detail: store.provider };
      },
    },
    {
      name: 'migrations',
      // Through the store's own connection, with the migration files read once: /readyz is
      // probed every few seconds and must not open a connection or read files each time.
      check: async () => {
        const applied = await store.db.$queryRawUnsafe<{ id: string; checksum: string }[]>(
          `SELECT id, checksum FROM ${MIGRATIONS_TABLE} ORDER BY id`,
        );
        const pending = pendingAfter(applied, migrations);
        return pending.length === 0
          ? { ok: true }
          : { ok: false, detail: `pending: ${pending.join(', ')}` };
      },
    },
  ];
}

/** The head is readable (the store is open and not corrupt): its height and root. */
function worldStateCheck(node: NodeWorldState): ReadinessCheck {
  return {
    name: 'world-state',
    check: async () => {
      const head = node.ws.head();
      return { ok: true, detail: `height ${head.height}, root ${head.root}` };
    },
  };
}

/** Not ready until the signers are up and the key is established; then the custody's checks. */
function custodyChecks(custody: () => Custody | undefined): ReadinessCheck[] {
  return ['signers', 'custody-key'].map((name) => ({
    name,
    check: async () => {
      const check = custody()?.checks.find((c) => c.name === name);
      return check ? check.check() : { ok: false, detail: 'starting' };
    },
  }));
}
