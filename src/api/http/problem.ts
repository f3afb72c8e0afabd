/**
 * RFC 9457 problem details for every error the HTTP layer sends.
 *
 * RFC 9457 §3.1: "type" (a URI reference identifying the problem type), "status" (the HTTP
 * status code), "title" (a short, human-readable summary of the problem type) and "detail"
 * (a human-readable explanation specific to this occurrence). Media type:
 * "application/problem+json" (§6.1).
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import {
  CustodyError,
  InvalidInputError,
  PayloadTooLargeError,
  type ProblemDetails,
  UnsupportedMediaTypeError,
} from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'urn:rollup-custody:problem:invalid-input' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export function sendProblem(res: Response, problem: ProblemDetails): void {
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** body-parser reports its failures as errors with a `type` string. */
function fromBodyParser(error: { type?: string; limit?: number }): CustodyError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(error.limit ?? 0);
    case 'entity.parse.failed':
      return new InvalidInputError('the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(
        'an unsupported charset',
        'application/json; charset=utf-8',
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return new InvalidInputError('the request body was incomplete');
    default:
      return undefined;
  }
}

/** The last middleware: every error becomes problem+json; unexpected ones leak no detail. */
export function problemHandler(log: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known =
      error instanceof CustodyError ? error : fromBodyParser(error as { type?: string });
    if (known) {
      if (known.status >= 500) log.error({ err: error, path: req.path }, known.message);
      sendProblem(res, known.toProblem());
      return;
    }
    log.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, {
      type: 'urn:rollup-custody:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: 'the server failed to handle the request; it has been logged',
    });
  };
}
