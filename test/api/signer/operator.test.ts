/**
 * What a signer's operator registers with it directly (operator.ts): custody outputs, refused
 * when malformed or contradicting a recorded value; a multi-sig custody definition, refused when
 * it does not contain the signer's own key or would replace the registered one.
 */
import { describe, expect, it } from 'vitest';
import type { SignerContext } from '../../../src/api/signer/context.ts';
import { createMultisigKey } from '../../../src/api/signer/multisig-service.ts';
import {
  parseOutputSpec,
  registerCustody,
  registerOutput,
} from '../../../src/api/signer/operator.ts';
import { parseSettlementRef } from '../../../src/api/signer/settlement/ref.ts';
import { generateMultisigKey } from '../../../src/custody/multisig/keys.ts';
import { useFreshStore } from '../../support/databases.ts';

const TXID = 'ab'.repeat(32);

describe('operator registrations', () => {
  const db = useFreshStore('sqlite');

  it('records a custody output once, and refuses one contradicting the recorded value', async () => {
    const o = parseOutputSpec(`${TXID}:1:50000`);
    await registerOutput(db.store.db, 'operator', o);
    await registerOutput(db.store.db, 'operator', o);
    await expect(registerOutput(db.store.db, 'operator', { ...o, valueSats: 1n })).rejects.toThrow(
      /already recorded with 50000 sats/,
    );
    const rows = await db.store.db.signerCustodyOutput.findMany();
    expect(rows).toHaveLength(1);
  });

  it('refuses malformed output specs naming the field', () => {
    for (const bad of [`${TXID}:1`, `${TXID.toUpperCase()}:1:5`, `${TXID}:1:0`, 'x:1:5']) {
      expect(() => parseOutputSpec(bad)).toThrow(/^output:/);
    }
  });

  it('refuses a multi-sig custody definition that leaves out its own key (a coordinator-made script)', async () => {
    const ctx = { db: db.store.db, kek: new Uint8Array(32).fill(7) } as unknown as SignerContext;
    const { publicKey } = await createMultisigKey(ctx, 'ms');
    const others = [generateMultisigKey(), generateMultisigKey(), generateMultisigKey()];
    const foreign = others.map((k) => k.publicKey);
    await expect(
      registerCustody(db.store.db, 'operator', 'ms', {
        scheme: 'multisig-p2wsh',
        threshold: 2,
        publicKeys: foreign,
      }),
    ).rejects.toThrow(/own key/);
    const definition = {
      scheme: 'multisig-p2wsh',
      threshold: 2,
      publicKeys: [publicKey, ...foreign.slice(0, 2)],
    };
    await registerCustody(db.store.db, 'operator', 'ms', definition);
    await registerCustody(db.store.db, 'operator', 'ms', definition);
    await expect(
      registerCustody(db.store.db, 'operator', 'ms', { ...definition, threshold: 3 }),
    ).rejects.toThrow(/another custody definition/);
  });
});

describe('settlement reference in a sign request', () => {
  const good = { psbt: 'cHNidP8BAA==', batchNumber: 3, feeRateSatPerVb: 2.5, inputIndex: 0 };

  it('is optional, and parsed with every field checked', () => {
    expect(parseSettlementRef(undefined, 'settlement')).toBeUndefined();
    expect(parseSettlementRef(good, 'settlement')).toEqual(good);
  });

  it.each([
    ['psbt', { ...good, psbt: 'not base64!' }],
    ['feeRateSatPerVb', { ...good, feeRateSatPerVb: -1 }],
    ['batchNumber', { ...good, batchNumber: 0 }],
    ['inputIndex', { ...good, inputIndex: 1.5 }],
  ])('refuses a bad %s naming it', (field, value) => {
    expect(() => parseSettlementRef(value, 'settlement')).toThrow(`settlement.${field}`);
  });
});
