/**
 * Structured JSON logs (pino). Commands whose stdout is data log to stderr. Secret-bearing
 * fields are redacted by path so that a careless `log.info({ req })` cannot leak them.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

export interface CreateLoggerOpts {
  level?: string;
  /** 1 = stdout, 2 = stderr. */
  fd?: 1 | 2;
  name?: string;
}

export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'apiKey',
  '*.apiKey',
  'share',
  '*.share',
  'secret',
  '*.secret',
  'kek',
  '*.kek',
  'password',
  '*.password',
];

export function createLogger(opts: CreateLoggerOpts = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'custody',
      level: opts.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: opts.fd ?? 2, sync: true }),
  );
}
