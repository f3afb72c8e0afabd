/** What every signer handler needs: its database, KEK, identity, policy and fault hook. */
import type { IdentityKey } from '../../custody/identity.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/store.ts';
import type { CrashPoint } from './config.ts';
import type { PolicyVerifier } from './policy.ts';

export interface SignerContext {
  name: string;
  db: Db;
  kek: Uint8Array;
  identity: IdentityKey;
  policy: PolicyVerifier;
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
