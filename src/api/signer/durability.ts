/**
 * Durable commits for the signer's own database (see requireDurableCommits).
 *
 * Invariant 2 needs "marked used" to survive a power cut, not only a process crash, or a nonce
 * comes back unused after its share left.
 *  - SQLite: WAL at synchronous=NORMAL may lose the last commits before a power loss. openStore
 *    sets FULL on every SQLite store; the signer refuses to start if that did not take.
 *  - PostgreSQL: durable at commit only while `fsync` is on (off, a crash can corrupt or undo
 *    anything: refused) and `synchronous_commit` is not off. The latter is the server's or the
 *    database's default, and may be off for good reasons elsewhere, so the transactions that
 *    store nonces and release shares set it on for themselves (SignerSql); start-up checks both
 *    and readiness reports them.
 */
import type { Db, Store } from '../../store/store.ts';
import type { ReadinessCheck } from '../http/health.ts';

export interface PostgresDurability {
  fsync: string;
  synchronousCommit: string;
}

export async function readPostgresDurability(db: Db): Promise<PostgresDurability> {
  const [fsync] = await db.$queryRawUnsafe<{ fsync: string }[]>('SHOW fsync');
  const [sync] =
    await db.$queryRawUnsafe<{ synchronous_commit: string }[]>('SHOW synchronous_commit');
  return { fsync: String(fsync?.fsync), synchronousCommit: String(sync?.synchronous_commit) };
}

/**
 * What these settings mean for the signer: a refusal (fsync off) or a description. With
 * synchronous_commit off the signing transactions still commit durably (they set it on), but
 * other writes (key ceremonies, request ids) do not, which the description says.
 */
export function postgresDurabilityVerdict(s: PostgresDurability): { ok: boolean; detail: string } {
  const settings = `fsync=${s.fsync}, synchronous_commit=${s.synchronousCommit}`;
  if (s.fsync !== 'on') {
    return { ok: false, detail: `${settings}: a crash can undo committed nonce marks` };
  }
  if (s.synchronousCommit === 'off') {
    return {
      ok: true,
      detail: `${settings} (nonce and release transactions set synchronous_commit=on)`,
    };
  }
  return { ok: true, detail: settings };
}

/**
 * Refuses to start a signer whose commits would not survive a crash. Otherwise returns the
 * settings, with a warning when only the signing transactions are durable at commit.
 */
export async function requireDurableCommits(
  store: Store,
): Promise<{ detail: string; warning?: string }> {
  if (store.provider === 'postgresql') {
    const settings = await readPostgresDurability(store.db);
    const verdict = postgresDurabilityVerdict(settings);
    if (!verdict.ok) throw new Error(`PostgreSQL is not durable at commit (${verdict.detail})`);
    if (settings.synchronousCommit !== 'off') return { detail: verdict.detail };
    return {
      detail: verdict.detail,
      warning:
        'synchronous_commit is off: nonce and release transactions set it on, but key ceremonies and request ids may not survive a crash',
    };
  }
  const level = await sqliteSynchronous(store.db);
  if (level < 2) throw new Error('SQLite refused synchronous = FULL');
  return { detail: 'synchronous=FULL' };
}

export function durabilityCheck(
  store: Store,
  hotPath?: { synchronousLevel(): number },
): ReadinessCheck {
  return {
    name: 'durable-commits',
    check: async () => {
      if (store.provider === 'postgresql') {
        return postgresDurabilityVerdict(await readPostgresDurability(store.db));
      }
      // Both connections that commit signing state must sync every commit.
      const level = Math.min(await sqliteSynchronous(store.db), hotPath?.synchronousLevel() ?? 3);
      return level >= 2
        ? { ok: true, detail: 'synchronous=FULL' }
        : { ok: false, detail: `synchronous=${level}` };
    },
  };
}

async function sqliteSynchronous(db: Db): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ synchronous: bigint | number }[]>('PRAGMA synchronous');
  return Number(row?.synchronous);
}
