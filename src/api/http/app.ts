/**
 * An express app with the conventions every custody HTTP service shares: routes from a
 * table, problem+json for every error (including unknown routes), metrics, no framework
 * banner, and the operational endpoints.
 */
import express, { type Express, type RequestHandler } from 'express';
import { NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { healthRoutes, type ReadinessCheck } from './health.ts';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';
import { buildOpenApiDocument, type OpenApiInfo } from './openapi.ts';
import { problemHandler } from './problem.ts';
import { mountRoutes, type Route } from './routes.ts';

export interface CreateHttpAppOpts {
  log: Logger;
  info: OpenApiInfo;
  routes: readonly Route[];
  checks: readonly ReadinessCheck[];
  authenticate?: RequestHandler;
}

export interface HttpApp {
  app: Express;
  metrics: HttpMetrics;
  openapi: ReturnType<typeof buildOpenApiDocument>;
}

export function createHttpApp(opts: CreateHttpAppOpts): HttpApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Strict query parsing: repeated or nested parameters are not silently turned into arrays.
  app.set('query parser', 'simple');
  const metrics = createHttpMetrics();
  app.use(metrics.middleware);

  let openapi: ReturnType<typeof buildOpenApiDocument> | undefined;
  const routes = [
    ...healthRoutes({ checks: opts.checks, metrics, openapi: () => openapi }),
    ...opts.routes,
  ];
  openapi = buildOpenApiDocument(routes, opts.info);
  mountRoutes(app, routes, opts.authenticate ? { authenticate: opts.authenticate } : {});

  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}`);
  });
  app.use(problemHandler(opts.log));
  return { app, metrics, openapi };
}
