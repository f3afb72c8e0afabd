/**
 * An express app with the conventions every custody HTTP service shares: routes from a
 * table, problem+json for every error (including unknown routes), metrics, no framework
 * banner, and the operational endpoints.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Registry } from 'prom-client';
import { InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { healthRoutes, isProbeAnswer, type ReadinessCheck } from './health.ts';
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
  /** Instead of `authenticate`: the check for one route (it knows the route's scopes). */
  authFor?: (route: Route) => RequestHandler;
  /** The registry /metrics serves, when the app has metrics of its own on it. */
  registry?: Registry;
  /** Runs before any route (after the access log): rate limits, for one. */
  before?: readonly RequestHandler[];
  /** Runs after the routes, before the 404: static files (the dashboard). */
  after?: readonly RequestHandler[];
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
  const metrics = createHttpMetrics('custody_', opts.registry);
  app.use(metrics.middleware);
  app.use(accessLog(opts.log));
  app.use(requireHost);

  let openapi: ReturnType<typeof buildOpenApiDocument> | undefined;
  const routes = [
    ...healthRoutes({ checks: opts.checks, metrics, openapi: () => openapi }),
    ...opts.routes,
  ];
  openapi = buildOpenApiDocument(routes, opts.info);
  for (const handler of opts.before ?? []) app.use(handler);
  mountRoutes(app, routes, {
    ...(opts.authenticate ? { authenticate: opts.authenticate } : {}),
    ...(opts.authFor ? { authFor: opts.authFor } : {}),
  });

  for (const handler of opts.after ?? []) app.use(handler);
  app.use((req) => {
    throw new NotFoundError(`no route for ${req.method} ${req.path}`);
  });
  app.use(problemHandler(opts.log));
  return { app, metrics, openapi };
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Node refuses it itself, with no body,
 * unless the server is made with `requireHostHeader: false` (createProblemServer): then here, as
 * problem+json like every other answer.
 */
const requireHost: RequestHandler = (req, _res, next) => {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) {
    throw new InvalidInputError('Host: an HTTP/1.1 request needs a Host header', {
      field: 'Host',
    });
  }
  next();
};

/**
 * One JSON line per request with a request id (echoed as X-Request-Id so a client can quote
 * it). A client-supplied id is kept only if it is short and plain, so it cannot forge log lines.
 */
function accessLog(log: CreateHttpAppOpts['log']): RequestHandler {
  return pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id =
        typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // pino-http invents an Error (with a stack) for every 5xx; a 503 from /readyz is an
    // answer, not a failure, so only real errors keep their error object.
    customErrorObject: (_req, _res, error, value) =>
      /^failed with status code \d+$/.test(error.message) ? { ...value, err: undefined } : value,
    customErrorMessage: (_req, res) => (isProbeAnswer(res) ? 'not ready' : 'request errored'),
    customLogLevel: (_req, res, error) => accessLogLevel(res, error),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

/**
 * Real errors and 5xx answers at error, 4xx at warn, the rest at info; a readiness probe's
 * 503 is the answer it asked for (polled every second while the signers start), so info too.
 */
function accessLogLevel(res: ServerResponse, error: Error | undefined): 'error' | 'warn' | 'info' {
  if (error) return 'error';
  if (res.statusCode >= 500) return isProbeAnswer(res) ? 'info' : 'error';
  return res.statusCode >= 400 ? 'warn' : 'info';
}
