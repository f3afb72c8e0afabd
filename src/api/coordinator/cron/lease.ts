/**
 * Only one process drives the pipeline of a database at a time (numbers batches, builds,
 * signs and broadcasts settlements): two drivers could give two batches one number's work or
 * sign two fee bumps for one custody output.
 *
 * - PostgreSQL: a session advisory lock held on a connection of its own. Several coordinators
 *   can share one database: one drives, the others serve REST and try again every tick. A lost
 *   connection loses the lock with it, so the lease is checked before every tick's work.
 * - SQLite: the database is one file on one machine: a lock file beside it holding the owner's
 *   pid (lock.ts), taken over when its owner died.
 *
 * Both `custody start` and `custody settle` take this lease, so they exclude each other too.
 */
import pg from 'pg';
import type { Logger } from '../../../shared/logger.ts';
import type { DatabaseTarget } from '../../../store/database-url.ts';
import { acquireFileLock, type SettleLock } from '../settlement/lock.ts';

/** The advisory lock's key: "rcpipe" as a 48-bit number (any constant shared by all). */
export const PIPELINE_LOCK_KEY = 0x726370697065n;

export interface PipelineLease {
  /** True while this process holds the lease (it tries to take it when it does not). */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export function pipelineLease(target: DatabaseTarget, log: Logger): PipelineLease {
  return target.provider === 'sqlite'
    ? fileLease(`${target.file}.pipeline.lock`)
    : advisoryLease(target.url, log);
}

function fileLease(file: string): PipelineLease {
  let lock: SettleLock | undefined;
  return {
    async hold() {
      if (lock) return true;
      try {
        lock = acquireFileLock(file, (pid) => `pid ${pid} drives this database's pipeline`);
        return true;
      } catch {
        return false;
      }
    },
    async release() {
      lock?.release();
      lock = undefined;
    },
  };
}

function advisoryLease(url: string, log: Logger): PipelineLease {
  let client: pg.Client | undefined;
  let held = false;
  const drop = () => {
    if (held) log.warn('pipeline lease lost with its database connection');
    held = false;
    const c = client;
    client = undefined;
    c?.end().catch(() => {});
  };
  return {
    async hold() {
      try {
        if (client === undefined) {
          // Keepalive and timeouts: a network partition must fail the check, not hang the cron.
          const c = new pg.Client({
            connectionString: url,
            keepAlive: true,
            connectionTimeoutMillis: 5000,
            query_timeout: 5000,
          });
          c.on('error', drop);
          await c.connect();
          client = c;
        }
        if (held) {
          // The lock lives as long as the session: a round trip proves the session still does.
          await client.query('SELECT 1');
          return true;
        }
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
          PIPELINE_LOCK_KEY.toString(),
        ]);
        held = r.rows[0]?.ok === true;
        return held;
      } catch (error) {
        log.warn({ err: error }, 'pipeline lease: database connection failed');
        drop();
        return false;
      }
    },
    async release() {
      const c = client;
      client = undefined;
      held = false;
      if (c) await c.end().catch(() => {});
    },
  };
}
