/**
 * What a signer's operator tells it directly, never through the coordinator: custody outputs it
 * saw confirmed at the custody address (the offline backend has no chain view of its own), and
 * the multi-sig custody definition its key signs for. Each is written to the signer's own
 * database and recorded in its audit log.
 */

import { ConflictError, InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import { appendAudit } from '../../store/audit-log.ts';
import type { Db } from '../../store/store.ts';
import { checkCustodyDefinition } from './settlement/custody.ts';

export interface RegisteredOutput {
  txid: string;
  vout: number;
  valueSats: bigint;
}

/** `TXID:VOUT:SATS`, the txid as displayed (64 lower-case hex digits). */
export function parseOutputSpec(spec: string, field = 'output'): RegisteredOutput {
  const m = /^([0-9a-f]{64}):(\d{1,10}):(\d{1,16})$/.exec(spec);
  if (m === null) {
    throw new InvalidInputError(
      `${field}: expected TXID:VOUT:SATS (64 lower-case hex digits, integers)`,
      {
        field,
      },
    );
  }
  const valueSats = BigInt(m[3] as string);
  if (valueSats <= 0n) throw new InvalidInputError(`${field}: SATS must be positive`, { field });
  return { txid: m[1] as string, vout: Number(m[2]), valueSats };
}

export async function registerOutput(db: Db, actor: string, o: RegisteredOutput): Promise<void> {
  const outpoint = `${o.txid}:${o.vout}`;
  const existing = await db.signerCustodyOutput.findUnique({ where: { outpoint } });
  if (existing !== null) {
    if (existing.valueSats === o.valueSats) return;
    throw new ConflictError(`${outpoint} is already recorded with ${existing.valueSats} sats`);
  }
  await db.signerCustodyOutput.create({
    data: { outpoint, valueSats: o.valueSats, source: 'registered' },
  });
  await appendAudit(db, {
    actor,
    action: 'custody.output.registered',
    subject: outpoint,
    data: { valueSats: o.valueSats.toString() },
  });
}

/** A multi-sig key's custody definition; once registered it is never replaced. */
export async function registerCustody(
  db: Db,
  actor: string,
  keyId: string,
  definition: unknown,
): Promise<void> {
  const key = await db.signerKey.findUnique({ where: { id: keyId } });
  if (key === null) throw new NotFoundError(`no key ${keyId}`);
  if (key.scheme !== 'multisig') throw new ConflictError(`key ${keyId} is not a multi-sig key`);
  const spec = checkCustodyDefinition(definition, key.publicKey);
  const text = JSON.stringify({
    scheme: spec.scheme,
    threshold: spec.threshold,
    publicKeys: spec.publicKeys,
  });
  const existing = await db.signerCustody.findUnique({ where: { keyId } });
  if (existing !== null) {
    if (existing.definition === text) return;
    throw new ConflictError(`key ${keyId} already has another custody definition`);
  }
  await db.signerCustody.create({ data: { keyId, definition: text } });
  await appendAudit(db, {
    actor,
    action: 'custody.definition.registered',
    subject: keyId,
    data: JSON.parse(text),
  });
}
