/** What every signer handler needs: its database, KEK, identity, allowed dealers, policy and fault hook. */
import type { IdentityKey } from '../../custody/identity.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/store.ts';
import type { CrashPoint } from './config.ts';
import type { NoncePool } from './nonce-pool.ts';
import type { PolicyVerifier } from './policy.ts';
import { prismaSignerSql, type SignerSql } from './signer-sql.ts';

export interface SignerContext {
  name: string;
  db: Db;
  /** The hot-path statements (signer-sqlite.ts on SQLite); through `db` when absent. */
  sql?: SignerSql;
  kek: Uint8Array;
  identity: IdentityKey;
  /** Dealer identity keys this signer's own config allows to import keys (config.dealerKeys). */
  dealerKeys: readonly string[];
  policy: PolicyVerifier;
  /** Nonces drawn ahead of round 1 (nonce-pool.ts); drawn on demand when absent. */
  noncePool?: NoncePool;
  log: Logger;
  /** Kills the process at `point` when the config asks for it (fault-injection tests). */
  crash(point: CrashPoint): void;
}

export function crashHook(crashAt: CrashPoint | undefined): (point: CrashPoint) => void {
  return (point) => {
    if (point === crashAt) process.kill(process.pid, 'SIGKILL');
  };
}

export function newId(prefix: string): string {
  return `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`;
}

const prismaSql = new WeakMap<object, SignerSql>();

/** The context's SignerSql: its own, or one over its Prisma client. */
export function signerSqlOf(ctx: Pick<SignerContext, 'db' | 'sql'>): SignerSql {
  if (ctx.sql) return ctx.sql;
  let sql = prismaSql.get(ctx.db);
  if (!sql) {
    sql = prismaSignerSql(ctx.db);
    prismaSql.set(ctx.db, sql);
  }
  return sql;
}
