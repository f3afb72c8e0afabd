/**
 * The coordinator's view of custody: which signers exist (recorded in Signer, checked against
 * what they say they are), the custody key they hold, and signing through the persisted
 * sessions. Composes src/custody (protocol), the signer clients and src/store.
 */
import { outputKeyXOnly } from '../../custody/frost/wire.ts';
import type { CustodyScheme } from '../../shared/config.ts';
import { ConflictError } from '../../shared/errors.ts';
import { ID_PREFIXES, newId } from '../../shared/ids.ts';
import type { Db } from '../../store/store.ts';
import type { ReadinessCheck } from '../http/health.ts';
import type { LaunchedSigner } from '../signer/supervisor.ts';
import { type CustodyKeyRecord, ensureCustodyKey } from './custody-key.ts';
import { LOCAL_THRESHOLD } from './local-signers.ts';
import type { SettlementRef } from './signing/clients.ts';
import { runFrostSession } from './signing/frost-session.ts';
import { HttpFrostSigner, HttpMultisigSigner, type RemoteSigner } from './signing/http-clients.ts';
import { runMultisigSession } from './signing/multisig-session.ts';

export interface Custody {
  key: CustodyKeyRecord;
  signers: readonly RemoteSigner[];
  /** One signature over a 32-byte message for a proposal, by any t of the signers. */
  sign(
    message: Uint8Array,
    proposalId: string,
    settlement?: SettlementRef,
    /** The settlement's id, recorded on the session (its signers' reports are shown with it). */
    settlementId?: string,
  ): Promise<{ sessionId: string; signature: string }>;
  checks: ReadinessCheck[];
}

export interface OpenCustodyOpts {
  db: Db;
  scheme: CustodyScheme;
  threshold: number;
  signers: readonly RemoteSigner[];
  roundTimeoutMs?: number;
}

export async function openCustody(opts: OpenCustodyOpts): Promise<Custody> {
  await registerSigners(opts.db, opts.signers);
  const key = await ensureCustodyKey(opts);
  const members = key.signerNames.map((n) => opts.signers.find((s) => s.name === n)!);
  const timeout = opts.roundTimeoutMs === undefined ? {} : { roundTimeoutMs: opts.roundTimeoutMs };
  const sign: Custody['sign'] = async (message, proposalId, settlement, settlementId) => {
    const ref = {
      ...(settlement === undefined ? {} : { settlement }),
      ...(settlementId === undefined ? {} : { settlementId }),
    };
    if (key.groupKey) {
      const r = await runFrostSession({
        db: opts.db,
        signers: members.map((m) => new HttpFrostSigner(m)),
        groupKey: key.groupKey,
        keyId: key.id,
        proposalId,
        message,
        ...ref,
        ...timeout,
      });
      return { sessionId: r.sessionId, signature: r.signature };
    }
    const scriptType = key.scheme === 'multisig-p2wsh' ? 'p2wsh' : 'tapscript';
    const r = await runMultisigSession({
      db: opts.db,
      scheme: key.scheme as 'multisig-p2wsh' | 'multisig-tapscript',
      signers: members.map((m) => {
        const compressed = key.publicKeys![m.name]!;
        const publicKey = scriptType === 'p2wsh' ? compressed : `0x${compressed.slice(4)}`;
        return new HttpMultisigSigner(m, publicKey, scriptType);
      }),
      threshold: key.threshold,
      keyId: key.id,
      proposalId,
      sighash: message,
      ...ref,
      ...timeout,
    });
    return { sessionId: r.sessionId, signature: JSON.stringify(r.signatures) };
  };
  return { key, signers: opts.signers, sign, checks: custodyChecks(key, members) };
}

/**
 * Signer rows are keyed by name; a signer whose identity key changed lost its database (and
 * with it its share): refusing to start is safer than silently running below threshold.
 */
async function registerSigners(db: Db, signers: readonly RemoteSigner[]): Promise<void> {
  for (const s of signers) {
    const identityKey = s.client.identityKey;
    const existing = await db.signer.findUnique({ where: { name: s.name } });
    if (existing && existing.identityKey !== identityKey) {
      throw new ConflictError(
        `signer ${s.name} now has identity ${identityKey}, not the recorded ${existing.identityKey}: its key share is gone with its old database; restore it from its backup kit`,
      );
    }
    const url = s.url;
    await db.signer.upsert({
      where: { name: s.name },
      create: {
        id: newId(ID_PREFIXES.signer),
        name: s.name,
        url,
        identityKey,
        status: 'up',
        lastSeenAt: new Date(),
      },
      update: { url, status: 'up', lastSeenAt: new Date() },
    });
  }
}

function custodyChecks(key: CustodyKeyRecord, members: readonly RemoteSigner[]): ReadinessCheck[] {
  return [
    {
      name: 'signers',
      check: async () => {
        // An authenticated call: the answer is signed by the signer's identity key, and it
        // shows the signer still holds its part of the custody key.
        const path = `/v1/keys/${encodeURIComponent(key.id)}`;
        const results = await Promise.allSettled(
          members.map((m) => m.client.get<{ keyId: string }>(path)),
        );
        const up = results.filter(
          (r) => r.status === 'fulfilled' && r.value.keyId === key.id,
        ).length;
        return {
          ok: up >= key.threshold,
          detail: `${up} of ${members.length} reachable, ${key.threshold} needed`,
        };
      },
    },
    {
      name: 'custody-key',
      check: async () => ({
        ok: true,
        detail: `${key.scheme} ${key.threshold}-of-${key.signerNames.length} ${key.groupKey ? outputKeyXOnly(key.groupKey) : key.descriptor}`,
      }),
    },
  ];
}

/** The custody of `custody start` and `custody settle`: the local signer processes' quorum. */
export function openLocalCustody(
  db: Db,
  scheme: CustodyScheme,
  signers: readonly LaunchedSigner[],
): Promise<Custody> {
  return openCustody({
    db,
    scheme,
    threshold: LOCAL_THRESHOLD,
    signers: signers.map((s) => ({
      name: s.name,
      url: s.url,
      identifier: s.identifier,
      client: s.client,
    })),
  });
}
