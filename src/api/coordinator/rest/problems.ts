/** The problem+json answers a route declares in /openapi.json, and the 404 every lookup shares. */
import { CustodyError, NotFoundError } from '../../../shared/errors.ts';
import { PROBLEM_CONTENT_TYPE, ProblemSchema } from '../../http/problem.ts';
import type { RouteResponse } from '../../http/routes.ts';

const TITLES: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key lacks the scope this route needs',
  404: 'Not found',
  409: 'Conflict (Idempotency-Key reused with another body, or the resource moved on)',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Refused by policy',
  429: 'Rate limit of the API key exceeded',
  503: 'Not ready (the custody is starting)',
};

export function problems(...statuses: number[]): Record<string, RouteResponse> {
  return Object.fromEntries(
    statuses.map((s) => [
      String(s),
      {
        description: TITLES[s] ?? 'Error',
        schema: ProblemSchema,
        contentType: PROBLEM_CONTENT_TYPE,
      },
    ]),
  );
}

export function notFound(kind: string, id: string): NotFoundError {
  return new NotFoundError(`no ${kind} ${id}`);
}

/** A route that needs the custody while its signers are still starting. */
export class NotReadyError extends CustodyError {
  constructor(detail: string) {
    super('not-ready', 503, 'Not ready', detail);
  }
}
