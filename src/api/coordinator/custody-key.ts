/**
 * Establishing the custody key across the signers, once, and finding it again on every start.
 *
 * FROST: a dealerless DKG relayed through the coordinator (it sees only public packages and
 * sealed envelopes); the key id is the ceremony id. Multi-sig: each signer generates its own
 * key and returns the public part; the coordinator assembles the P2WSH `sortedmulti` or
 * tapscript `multi_a` descriptor. Either way only public material is recorded here.
 */
import { identifierForIdentityKey, parseCeremony } from '../../custody/frost/ceremony.ts';
import { outputKeyXOnly, parseGroupKey, type WireGroupKey } from '../../custody/frost/wire.ts';
import { buildP2wshSortedMulti, buildTapscriptMultiA } from '../../custody/multisig/keys.ts';
import { custodyDescriptor } from '../../settlement/descriptors.ts';
import type { CustodyScheme } from '../../shared/config.ts';
import { ConflictError } from '../../shared/errors.ts';
import { appendAudit } from '../../store/audit-log.ts';
import type { Db } from '../../store/store.ts';
import { relayDkg } from '../signer/driver.ts';
import type { RemoteSigner } from './signing/http-clients.ts';

export interface CustodyKeyRecord {
  id: string;
  scheme: CustodyScheme;
  threshold: number;
  signerNames: string[];
  scriptPubKey: string;
  descriptor: string;
  /** FROST only. */
  groupKey?: WireGroupKey;
  /** Multi-sig only: signer name → public key (compressed; x-only is derived for tapscript). */
  publicKeys?: Record<string, string>;
}

export interface EnsureCustodyKeyOpts {
  db: Db;
  scheme: CustodyScheme;
  threshold: number;
  signers: readonly RemoteSigner[];
}

export async function ensureCustodyKey(opts: EnsureCustodyKeyOpts): Promise<CustodyKeyRecord> {
  const row = await opts.db.custodyKey.findFirst({ where: { scheme: opts.scheme, active: true } });
  if (row) {
    const record = fromRow(row);
    const missing = record.signerNames.filter((n) => !opts.signers.some((s) => s.name === n));
    if (missing.length > 0) {
      throw new ConflictError(
        `custody key ${row.id} is held by signers that are not configured: ${missing.join(', ')}`,
      );
    }
    return record;
  }
  const record = opts.scheme === 'frost' ? await runDkg(opts) : await collectMultisigKeys(opts);
  await opts.db.custodyKey.create({
    data: {
      id: record.id,
      scheme: record.scheme,
      threshold: record.threshold,
      total: record.signerNames.length,
      publicInfo: JSON.stringify(
        record.groupKey ? { groupKey: record.groupKey } : { publicKeys: record.publicKeys },
      ),
      scriptPubKey: record.scriptPubKey,
      descriptor: record.descriptor,
      signerNames: JSON.stringify(record.signerNames),
    },
  });
  await appendAudit(opts.db, {
    actor: 'coordinator',
    action: 'custody.key-established',
    subject: record.id,
    data: {
      scheme: record.scheme,
      threshold: record.threshold,
      signers: record.signerNames,
      descriptor: record.descriptor,
    },
  });
  return record;
}

function keyId(scheme: CustodyScheme): string {
  const random = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
  return `${scheme}-${random}`;
}

async function runDkg(opts: EnsureCustodyKeyOpts): Promise<CustodyKeyRecord> {
  const id = keyId('frost');
  const ceremony = parseCeremony({
    ceremonyId: id,
    suite: 'secp256k1-tr',
    threshold: { min: opts.threshold, max: opts.signers.length },
    participants: opts.signers.map((s) => ({
      identifier: identifierForIdentityKey(s.client.identityKey),
      identityKey: s.client.identityKey,
    })),
  });
  const { groupKey } = await relayDkg(
    opts.signers.map((s) => ({ client: s.client, identifier: s.identifier })),
    ceremony,
  );
  const outputKey = outputKeyXOnly(groupKey);
  return {
    id,
    scheme: 'frost',
    threshold: opts.threshold,
    signerNames: opts.signers.map((s) => s.name),
    scriptPubKey: `0x5120${outputKey.slice(2)}`,
    // The group key is already the Taproot output key: tr(KEY) would tweak it a second time.
    descriptor: custodyDescriptor({ scheme: 'frost', outputKey }),
    groupKey,
  };
}

async function collectMultisigKeys(opts: EnsureCustodyKeyOpts): Promise<CustodyKeyRecord> {
  const id = keyId(opts.scheme);
  const answers = await Promise.all(
    opts.signers.map((s) =>
      s.client.post<{ publicKey: string }>('/v1/multisig/keys', { keyId: id }),
    ),
  );
  const publicKeys = Object.fromEntries(
    opts.signers.map((s, i) => [s.name, answers[i]!.publicKey]),
  );
  const keys = Object.values(publicKeys);
  const built =
    opts.scheme === 'multisig-p2wsh'
      ? buildP2wshSortedMulti(opts.threshold, keys)
      : buildTapscriptMultiA(opts.threshold, keys);
  return {
    id,
    scheme: opts.scheme,
    threshold: opts.threshold,
    signerNames: opts.signers.map((s) => s.name),
    scriptPubKey: built.scriptPubKey,
    descriptor: built.descriptor,
    publicKeys,
  };
}

function fromRow(row: {
  id: string;
  scheme: string;
  threshold: number;
  publicInfo: string;
  scriptPubKey: string;
  descriptor: string;
  signerNames: string;
}): CustodyKeyRecord {
  const info = JSON.parse(row.publicInfo) as {
    groupKey?: unknown;
    publicKeys?: Record<string, string>;
  };
  return {
    id: row.id,
    scheme: row.scheme as CustodyScheme,
    threshold: row.threshold,
    signerNames: JSON.parse(row.signerNames) as string[],
    scriptPubKey: row.scriptPubKey,
    descriptor: row.descriptor,
    ...(info.groupKey ? { groupKey: parseGroupKey(info.groupKey) } : {}),
    ...(info.publicKeys ? { publicKeys: info.publicKeys } : {}),
  };
}
