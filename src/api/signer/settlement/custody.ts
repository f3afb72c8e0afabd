/**
 * The custody script a key of this signer signs for, from its own records: a FROST share's
 * group key gives the Taproot output key; a multi-sig key signs only for the definition its
 * operator registered (`custody register custody`), which must contain its own key.
 */
import { outputKeyXOnly } from '../../../custody/frost/wire.ts';
import { type CustodySpec, custodyType } from '../../../settlement/custody-types/index.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/errors.ts';
import type { Db } from '../../../store/store.ts';

export type SignerScheme = 'frost' | 'multisig-p2wsh' | 'multisig-tapscript';

export async function custodyTypeForKey(
  db: Db,
  keyId: string,
  scheme: SignerScheme,
): Promise<CustodyType> {
  const key = await db.signerKey.findUnique({ where: { id: keyId } });
  if (key === null) throw new NotFoundError(`no key ${keyId}`);
  if (scheme === 'frost') {
    if (key.scheme !== 'frost') throw new ConflictError(`key ${keyId} is not a FROST key`);
    return custodyType({ scheme: 'frost', outputKey: outputKeyXOnly(JSON.parse(key.publicInfo)) });
  }
  const row = await db.signerCustody.findUnique({ where: { keyId } });
  if (row === null) {
    throw new ConflictError(
      `key ${keyId}: no custody definition registered (custody register custody)`,
    );
  }
  const spec = JSON.parse(row.definition) as CustodySpec;
  if (spec.scheme !== scheme) {
    throw new ConflictError(`key ${keyId} is registered for ${spec.scheme}, not ${scheme}`);
  }
  return custodyType(spec);
}

/** Checks a multi-sig definition an operator registers: well formed, and containing our key. */
export function checkCustodyDefinition(
  spec: unknown,
  ownPublicKey: string,
): Extract<CustodySpec, { threshold: number }> {
  const s = spec as Extract<CustodySpec, { threshold: number }>;
  if (s?.scheme !== 'multisig-p2wsh' && s?.scheme !== 'multisig-tapscript') {
    throw new InvalidInputError('scheme: expected multisig-p2wsh or multisig-tapscript', {
      field: 'scheme',
    });
  }
  custodyType(s); // throws on a bad threshold or key, naming the field
  const own = ownPublicKey.replace(/^0x/, '').toLowerCase();
  if (!s.publicKeys.some((k) => k.replace(/^0x/, '').toLowerCase() === own)) {
    throw new InvalidInputError(
      `publicKeys: this signer's own key ${ownPublicKey} is not among them`,
      {
        field: 'publicKeys',
      },
    );
  }
  return s;
}
