/** Durable commits for the signer's own database (see requireDurableCommits). */
import type { Store } from '../../store/store.ts';
import type { ReadinessCheck } from '../http/health.ts';

/**
 * Invariant 2 needs "marked used" to survive a power cut, not only a process crash: with
 * SQLite's WAL at synchronous=NORMAL the last commits before a power loss may vanish and a
 * nonce would come back unused after its share left. openStore sets FULL on every SQLite
 * store; the signer refuses to start if that did not take. PostgreSQL is durable at commit by
 * default (synchronous_commit = on).
 */
export async function requireDurableCommits(store: Store): Promise<void> {
  if (store.provider !== 'sqlite') return;
  const [row] =
    await store.db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
  if (Number(row?.synchronous) < 2) throw new Error('SQLite refused synchronous = FULL');
}

export function durabilityCheck(
  store: Store,
  hotPath?: { synchronousLevel(): number },
): ReadinessCheck {
  return {
    name: 'durable-commits',
    check: async () => {
      if (store.provider !== 'sqlite') return { ok: true, detail: store.provider };
      const [row] =
        await store.db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
      // Both connections that commit signing state must sync every commit.
      const level = Math.min(Number(row?.synchronous), hotPath?.synchronousLevel() ?? 3);
      return level >= 2
        ? { ok: true, detail: 'synchronous=FULL' }
        : { ok: false, detail: `synchronous=${level}` };
    },
  };
}
