/**
 * The check in front of every `/v1` route: the bearer key (api-keys.ts), the route's scopes,
 * then the key's own rate limit (express-rate-limit, counted per key id, so one noisy client
 * cannot starve the others). The caller is left in `res.locals.caller` for the handler.
 */
import type { RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { CustodyError, UnauthorizedError } from '../../../shared/errors.ts';
import type { Db } from '../../../store/store.ts';
import type { Route } from '../../http/routes.ts';
import { authenticateToken, type Caller, requireScope } from './api-keys.ts';

export class RateLimitedError extends CustodyError {
  constructor(limit: number) {
    super(
      'rate-limited',
      429,
      'Too many requests',
      `this API key may make ${limit} requests a minute; retry after the Retry-After header's seconds`,
      { limitPerMinute: limit },
    );
  }
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (caller === undefined) throw new Error('route without authentication asked for its caller');
  return caller;
}

export interface ApiAuthOpts {
  db: Db;
  bootstrapKey: string | undefined;
}

/** `authFor` for createHttpApp: one middleware chain per route. */
export function apiAuth(opts: ApiAuthOpts): (route: Route) => RequestHandler {
  // One limiter for all routes: a key's budget is per key, not per route.
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: (_req, res) => callerOf(res).rateLimitPerMinute,
    keyGenerator: (_req, res) => callerOf(res).keyId,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, res) => {
      throw new RateLimitedError(callerOf(res).rateLimitPerMinute);
    },
  });
  return (route) => {
    const scopes = route.scopes ?? [];
    return async (req, res, next) => {
      // Node keeps the first of repeated Authorization lines and drops the rest, where a proxy
      // in front may check the last: two credentials in one request are refused, not picked
      // from (a valid key first let such a request through; found by hostile-input.test.ts).
      if ((req.headersDistinct.authorization?.length ?? 0) > 1) {
        throw new UnauthorizedError('Authorization: give one bearer key, not several');
      }
      const caller = await authenticateToken(opts.db, req.headers.authorization, opts.bootstrapKey);
      requireScope(caller, scopes);
      res.locals.caller = caller;
      await limiter(req, res, next);
    };
  };
}
