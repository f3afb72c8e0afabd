/**
 * The signer's secrets in its own database, each sealed under the KEK with its row as context:
 * the identity key (created on first start) and the keys it holds (FROST shares, multi-sig keys).
 */
import { openAtRest, openJson, sealAtRest, sealJson } from '../../custody/at-rest.ts';
import type { WireGroupKey, WireKeyShare } from '../../custody/frost/wire.ts';
import { generateIdentity, type IdentityKey, identityFromSecret } from '../../custody/identity.ts';
import { NotFoundError } from '../../shared/errors.ts';
import type { Db } from '../../store/store.ts';

export async function loadOrCreateIdentity(db: Db, kek: Uint8Array): Promise<IdentityKey> {
  const stored = await loadIdentity(db, kek);
  if (stored) return stored;
  const identity = generateIdentity();
  await storeIdentity(db, kek, identity);
  return identity;
}

/** The signer's identity key, or undefined on an empty database. */
export async function loadIdentity(db: Db, kek: Uint8Array): Promise<IdentityKey | undefined> {
  const row = await db.signerIdentity.findUnique({ where: { id: 1 } });
  if (!row) return undefined;
  const identity = identityFromSecret(openAtRest(kek, 'identity', row.sealedSecret));
  if (identity.publicKey !== row.publicKey)
    throw new Error('stored identity key does not match its public key');
  return identity;
}

/** Stores the identity key (the one row): on first start, or restored from a backup kit. */
export async function storeIdentity(db: Db, kek: Uint8Array, identity: IdentityKey): Promise<void> {
  await db.signerIdentity.create({
    data: {
      id: 1,
      publicKey: identity.publicKey,
      sealedSecret: sealAtRest(kek, 'identity', identity.secretKey),
    },
  });
}

export interface FrostKeyRecord {
  keyId: string;
  groupKey: WireGroupKey;
  share: WireKeyShare;
  outputKey: string;
}

export async function storeFrostKey(db: Db, kek: Uint8Array, rec: FrostKeyRecord): Promise<void> {
  await db.signerKey.create({
    data: {
      id: rec.keyId,
      scheme: 'frost',
      publicInfo: JSON.stringify(rec.groupKey),
      publicKey: rec.outputKey,
      sealedSecret: sealJson(kek, `key:${rec.keyId}`, rec.share),
    },
  });
}

export async function loadFrostKey(
  db: Db,
  kek: Uint8Array,
  keyId: string,
): Promise<FrostKeyRecord> {
  const row = await db.signerKey.findUnique({ where: { id: keyId } });
  if (row?.scheme !== 'frost') throw new NotFoundError(`no FROST key ${keyId} on this signer`);
  return {
    keyId,
    groupKey: JSON.parse(row.publicInfo) as WireGroupKey,
    share: openJson<WireKeyShare>(kek, `key:${keyId}`, row.sealedSecret),
    outputKey: row.publicKey,
  };
}

/**
 * loadFrostKey once per key and process: every commitment and signing request needs the share,
 * and a query plus an AES-GCM open per request was ~1.5 ms of the signer's time. A FROST key
 * never changes once stored (a backup restore writes back the same share, checked against its
 * verifying share), and the decrypted share is in this process's memory during every signing
 * anyway. Records are frozen: no caller can alter the cached copy. Never logged.
 */
const frostKeyCache = new WeakMap<object, Map<string, FrostKeyRecord>>();

export async function loadFrostKeyCached(
  ctx: { db: Db; kek: Uint8Array },
  keyId: string,
): Promise<FrostKeyRecord> {
  let cache = frostKeyCache.get(ctx.db);
  if (!cache) {
    cache = new Map();
    frostKeyCache.set(ctx.db, cache);
  }
  const hit = cache.get(keyId);
  if (hit) return hit;
  const key = await loadFrostKey(ctx.db, ctx.kek, keyId);
  const frozen: FrostKeyRecord = Object.freeze({
    keyId: key.keyId,
    outputKey: key.outputKey,
    share: Object.freeze({ ...key.share }),
    groupKey: Object.freeze({
      ...key.groupKey,
      threshold: Object.freeze({ ...key.groupKey.threshold }),
      commitments: Object.freeze([...key.groupKey.commitments]) as string[],
      verifyingShares: Object.freeze({ ...key.groupKey.verifyingShares }),
    }),
  });
  cache.set(keyId, frozen);
  return frozen;
}

export async function storeMultisigKey(
  db: Db,
  kek: Uint8Array,
  keyId: string,
  key: { secretKey: Uint8Array; publicKey: string },
): Promise<void> {
  await db.signerKey.create({
    data: {
      id: keyId,
      scheme: 'multisig',
      publicInfo: JSON.stringify({ publicKey: key.publicKey }),
      publicKey: key.publicKey,
      sealedSecret: sealAtRest(kek, `key:${keyId}`, key.secretKey),
    },
  });
}

/** A multi-sig key's row, opened; NotFoundError if there is none or it is another scheme. */
export function openMultisigKey(
  kek: Uint8Array,
  keyId: string,
  row: { scheme: string; publicKey: string; sealedSecret: string } | null | undefined,
): { secretKey: Uint8Array; publicKey: string } {
  if (row?.scheme !== 'multisig')
    throw new NotFoundError(`no multi-sig key ${keyId} on this signer`);
  return { secretKey: openAtRest(kek, `key:${keyId}`, row.sealedSecret), publicKey: row.publicKey };
}
