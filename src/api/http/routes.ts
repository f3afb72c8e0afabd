/**
 * Routes are declared once, as data: the same zod schemas validate requests at run time and
 * describe them in /openapi.json, so the document cannot drift from the code.
 */
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import {
  InvalidInputError,
  MethodNotAllowedError,
  UnsupportedMediaTypeError,
} from '../../shared/errors.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteContext<Q, P, B> {
  query: Q;
  params: P;
  body: B;
  req: Request;
  res: Response;
}

export type RouteResult =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | {
      status: number;
      text: string | Uint8Array;
      contentType: string;
      headers?: Record<string, string>;
    };

export interface Route<
  Q extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** OpenAPI style: /v1/batches/{id}. */
  path: string;
  operationId: string;
  summary: string;
  tags?: string[];
  /** Needs `Authorization: Bearer <key>`. */
  auth?: boolean;
  /** With `auth`: the caller needs one of these scopes (the app's `authFor` enforces them). */
  scopes?: readonly string[];
  request?: { query?: Q; params?: P; body?: B; bodyLimitBytes?: number };
  responses: Record<string, RouteResponse>;
  handler(ctx: RouteContext<z.output<Q>, z.output<P>, z.output<B>>): Promise<RouteResult>;
}

/** Helps TypeScript infer a route's schema types at its definition. */
export function defineRoute<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType>(
  route: Route<Q, P, B>,
): Route {
  return route as unknown as Route;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export function toExpressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

export interface MountRoutesOpts {
  /** Runs before the handler of every route with `auth: true`. */
  authenticate?: RequestHandler;
  /** Instead of `authenticate`: the check for one route (it knows the route's scopes). */
  authFor?: (route: Route) => RequestHandler;
}

export function mountRoutes(app: Express, routes: readonly Route[], opts: MountRoutesOpts = {}) {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, list] of byPath) {
    const expressPath = toExpressPath(path);
    for (const route of list) {
      const chain: RequestHandler[] = [];
      if (route.auth && opts.authFor) chain.push(opts.authFor(route));
      else if (route.auth && opts.authenticate) chain.push(opts.authenticate);
      if (route.request?.body) chain.push(...jsonBody(route.request.bodyLimitBytes));
      chain.push(handle(route));
      app[route.method](expressPath, ...chain);
    }
    const allowed = list.map((r) => r.method.toUpperCase());
    if (allowed.includes('GET')) allowed.push('HEAD');
    app.all(expressPath, (req, res) => {
      res.setHeader('Allow', allowed.join(', '));
      throw new MethodNotAllowedError(req.method, req.path, allowed);
    });
  }
}

function jsonBody(limit = DEFAULT_BODY_LIMIT_BYTES): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) {
      throw new UnsupportedMediaTypeError(req.headers['content-type'], 'application/json');
    }
    next();
  };
  return [requireJson, express.json({ limit, type: 'application/json', strict: true })];
}

function handle(route: Route): RequestHandler {
  return async (req, res) => {
    const query = validate(route.request?.query, req.query, 'query');
    const params = validate(route.request?.params, req.params, 'path');
    const body = validate(route.request?.body, req.body, 'body');
    const result = await route.handler({ query, params, body, req, res });
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if ('json' in result) res.status(result.status).json(result.json);
    else {
      const body = typeof result.text === 'string' ? result.text : Buffer.from(result.text);
      res.status(result.status).type(result.contentType).send(body);
    }
  };
}

function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [where, ...issue.path.map(String)].join('.');
  throw new InvalidInputError(`${field}: ${issue.message}`, { field });
}
