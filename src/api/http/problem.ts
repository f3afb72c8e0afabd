/**
 * RFC 9457 problem details for every error the HTTP layer sends.
 *
 * RFC 9457 §3.1: "type" (a URI reference identifying the problem type), "status" (the HTTP
 * status code), "title" (a short, human-readable summary of the problem type) and "detail"
 * (a human-readable explanation specific to this occurrence). Media type:
 * "application/problem+json" (§6.1).
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express, NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import {
  CustodyError,
  InvalidInputError,
  MethodNotAllowedError,
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

/**
 * Client errors raised below the routes without a body-parser `type`. They used to fall through
 * to the 500 below, so a client's bad bytes read as a server failure (found by the hostile-input
 * suite, test/api/coordinator/rest/hostile-input.test.ts).
 */
function fromClientFault(error: unknown): CustodyError | undefined {
  // The router decodes path parameters with decodeURIComponent: `/v1/batches/%zz` or an escape
  // that is not UTF-8 (`%e0%a4`, `%c0%af`) throws a URIError.
  if (error instanceof URIError) {
    return new InvalidInputError('path: a parameter is not valid percent-encoded UTF-8', {
      field: 'path',
    });
  }
  // http-errors' convention: a 4xx `status`, and `expose` when the message is meant for the
  // client. zlib's errors for a corrupt gzip, deflate or br body reach here that way.
  const e = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  const status = e?.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) {
    return undefined;
  }
  const why = e?.expose === true && typeof e.message === 'string' ? `: ${e.message}` : '';
  if (status === 400) return new InvalidInputError(`the request could not be read${why}`);
  const title = STATUS_CODES[status] ?? 'Client error';
  return new CustodyError('client-error', status, title, `${title}${why}`);
}

/** The last middleware: every error becomes problem+json; unexpected ones leak no detail. */
export function problemHandler(log: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const known =
      error instanceof CustodyError
        ? error
        : (fromBodyParser(error as { type?: string }) ?? fromClientFault(error));
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

/** Node's own answers other than 400, by the code of its error (as in Node's _http_server). */
const NODE_CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    detail: "the request line and headers exceed the server's limit",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    detail: "the chunk extensions exceed the server's limit",
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'the request did not arrive in time' },
};

/** A problem+json answer on a bare ServerResponse (outside Express). */
function writeProblem(res: ServerResponse, error: CustodyError): void {
  const body = JSON.stringify(error.toProblem());
  res.writeHead(error.status, {
    'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A whole HTTP/1.1 problem+json answer, for a socket no ServerResponse is attached to. */
function rawProblem(problem: ProblemDetails, headers: Record<string, string> = {}): string {
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`.trimEnd()),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The HTTP server for an app whose every answer is problem+json, Node's own included. Without
 * this, Node answers by itself, before any route runs and without a body: a request it cannot
 * parse (control characters in a header, raw non-ASCII in the target, an unknown method, both
 * Content-Length and Transfer-Encoding, a body cut short) a bare 400, headers over 16 KiB a
 * bare 431, an `Expect` other than 100-continue a bare 417, an HTTP/1.1 request without Host a
 * bare 400, and a CONNECT a closed connection; Express answers a target it cannot parse with
 * an HTML 404. Found by the hostile-input suite (test/api/coordinator/rest/hostile-input.test.ts);
 * the statuses stay Node's.
 */
export function createProblemServer(app: Express): Server {
  // Express calls this when its router gives up on a request without running any middleware:
  // for a target url.parse throws on (`GET http://[::1`), which otherwise got Express's own
  // HTML 404. The app's 404 and problem handlers end every other request before this.
  const handle = app as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    done: (error?: unknown) => void,
  ) => void;
  // createHttpApp refuses a missing Host itself, as problem+json.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    handle(req, res, (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const problem =
        error === undefined
          ? new InvalidInputError('the request target is not a valid URL')
          : new CustodyError(
              'internal',
              500,
              'Internal error',
              'the server failed to route the request',
            );
      writeProblem(res, problem);
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node does: answer only on a writable socket where no answer has started yet.
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const known = NODE_CLIENT_ERRORS[error.code ?? ''];
      const problem = known
        ? new CustodyError('client-error', known.status, STATUS_CODES[known.status]!, known.detail)
        : new InvalidInputError(
            `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`,
          );
      socket.write(rawProblem(problem.toProblem()));
    }
    socket.destroy();
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const problem = new MethodNotAllowedError('CONNECT', req.url ?? '', []);
    socket.write(rawProblem(problem.toProblem(), { Allow: '' }));
    socket.destroy();
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const problem = new CustodyError(
      'expectation-failed',
      417,
      'Expectation failed',
      `Expect: only 100-continue is supported, not ${JSON.stringify(req.headers.expect)}`,
    );
    writeProblem(res, problem);
  });
  return server;
}
