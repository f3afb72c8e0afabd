/**
 * The error model shared by every module. A domain error carries what an HTTP client needs to
 * see (RFC 9457 problem details: a stable `type`, a short `title`, a numeric `status`, a
 * `detail` sentence) so that `api` can map any error thrown below it without knowing its class,
 * and the CLI can print it as one readable line.
 */

/** Problem type URIs are URNs: stable identifiers that do not pretend to be resolvable pages. */
export const PROBLEM_TYPE_PREFIX = 'urn:rollup-custody:problem:';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

export class CustodyError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly extensions: Record<string, unknown>;

  constructor(
    code: string,
    status: number,
    title: string,
    detail: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.title = title;
    this.extensions = extensions;
  }

  toProblem(): ProblemDetails {
    return {
      type: PROBLEM_TYPE_PREFIX + this.code,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }
}

/** Input that does not have the documented shape; `field` names where, like noble's checks. */
export class InvalidInputError extends CustodyError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super('invalid-input', 400, 'Invalid input', detail, extensions);
  }
}

export class UnauthorizedError extends CustodyError {
  constructor(detail = 'a valid bearer token is required') {
    super('unauthorized', 401, 'Unauthorized', detail);
  }
}

export class ForbiddenError extends CustodyError {
  constructor(detail: string) {
    super('forbidden', 403, 'Forbidden', detail);
  }
}

export class NotFoundError extends CustodyError {
  constructor(detail: string) {
    super('not-found', 404, 'Not found', detail);
  }
}

export class MethodNotAllowedError extends CustodyError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super('method-not-allowed', 405, 'Method not allowed', `${method} is not allowed on ${path}`, {
      allowed,
    });
  }
}

export class ConflictError extends CustodyError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super('conflict', 409, 'Conflict', detail, extensions);
  }
}

export class PayloadTooLargeError extends CustodyError {
  constructor(limitBytes: number) {
    super(
      'payload-too-large',
      413,
      'Payload too large',
      `the request body exceeds ${limitBytes} bytes`,
      { limitBytes },
    );
  }
}

export class UnsupportedMediaTypeError extends CustodyError {
  constructor(got: string | undefined, expected: string) {
    super(
      'unsupported-media-type',
      415,
      'Unsupported media type',
      `expected ${expected}, got ${got ?? 'no content type'}`,
    );
  }
}

/** A setting that cannot be used; the CLI prints one line per such error and exits non-zero. */
export class ConfigError extends CustodyError {
  readonly setting: string;
  constructor(setting: string, detail: string) {
    super('invalid-config', 500, 'Invalid configuration', `${setting}: ${detail}`, { setting });
    this.setting = setting;
  }
}

/** Several configuration errors found at once, so the operator fixes them in one pass. */
export class ConfigErrors extends CustodyError {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super('invalid-config', 500, 'Invalid configuration', errors.map((e) => e.message).join('; '));
    this.errors = errors;
  }
}

/** A precondition of the service (database not migrated, newer schema) that blocks start-up. */
export class ServiceUnavailableError extends CustodyError {
  constructor(detail: string) {
    super('unavailable', 503, 'Service unavailable', detail);
  }
}

export function isCustodyError(e: unknown): e is CustodyError {
  return e instanceof CustodyError;
}
