/**
 * A multi-sig settlement co-signed outside the signer services: two institutions hold keys of
 * the P2WSH 2-of-3 in their own wallets (here: the local signers' keys, opened with their own
 * KEKs, and the signer services stopped), download the PSBT, add partial signatures and upload
 * it. Refused before the treasurer approved (a status edited in the database does not count);
 * merged only when every signature is by a custody key over the sighash the coordinator
 * computes; then the inputs need nothing from the signer services and the settlement exports.
 */
import path from 'node:path';
import { Psbt } from 'bitcoinjs-lib';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reload } from '../../../../src/api/coordinator/settlement/records.ts';
import { readKek } from '../../../../src/api/signer/config.ts';
import { openMultisigKey } from '../../../../src/api/signer/vault.ts';
import { signP2wshPartial } from '../../../../src/custody/multisig/partial-sign.ts';
import { openStore } from '../../../../src/store/store.ts';
import { type Started, startRest, until } from './support.ts';

const PAYEE = `0014${'ef'.repeat(20)}`;
const treasurer = privateKeyToAccount(generatePrivateKey());
let s: Started;
beforeAll(async () => {
  s = await startRest({ CUSTODY_SCHEME: 'multisig-p2wsh', TREASURERS: treasurer.address });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function signerSecret(name: string, keyId: string): Promise<Uint8Array> {
  const kek = readKek(path.join(s.config.dataDir, 'keys', `${name}-kek.hex`));
  const file = path.join(s.config.dataDir, 'signers', name, 'signer.db');
  const store = await openStore({ databaseUrl: `file:${file}` });
  try {
    const row = await store.db.signerKey.findUnique({ where: { id: keyId } });
    return openMultisigKey(kek, keyId, row).secretKey;
  } finally {
    await store.close();
  }
}

describe('co-signer PSBT upload (multisig-p2wsh)', () => {
  it('merges only custody-key signatures over our sighash, then exports without the signers', {
    timeout: 120_000,
  }, async () => {
    await s.call('POST', '/v1/custody/outputs', {
      body: { txid: '33'.repeat(32), vout: 2, valueSats: '5000000' },
    });
    const txs = s.withdrawals([{ scriptPubKey: PAYEE, sats: 70_000n }]);
    expect((await s.call('POST', '/v1/batches', { body: { txs } })).status).toBe(202);
    const pending = await until(
      () => s.call('GET', '/v1/approvals'),
      (r) => r.body.items?.length > 0,
    );
    const id = pending.body.items[0].settlementId as string;
    const url = `/v1/settlements/${id}/signatures`;

    const early = await s.call('POST', url, { body: { psbt: 'cHNidP8=' } });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/signatures are taken once it is approved/);

    // The coordinator's database edited to approved: no approval verifies, so no upload.
    const db = s.running.store.db;
    await db.settlement.update({ where: { id }, data: { status: 'approved' } });
    const forged = await s.call('POST', url, { body: { psbt: 'cHNidP8=' } });
    expect(forged.status).toBe(409);
    expect(forged.body.detail).toMatch(/does not hold the approvals its policy requires/);
    await db.settlement.update({ where: { id }, data: { status: 'proposed' } });

    // The signer services go away; the treasurer approves; signing cannot finish without them.
    for (const signer of s.running.signers) await signer.stop();
    const approved = await s.call('POST', `/v1/settlements/${id}/approvals`, {
      body: {
        decision: 'approve',
        address: treasurer.address,
        signature: await treasurer.signTypedData(pending.body.items[0].typedData.approve),
      },
    });
    expect(approved.status).toBe(201);
    await until(
      () => s.call('GET', `/v1/settlements/${id}`),
      (r) => r.body.status === 'signing',
    );

    const row = await db.settlement.findUniqueOrThrow({ where: { id } });
    const deps = s.running.settlement;
    const built = reload(row, deps.type, deps.policy);
    const sighash = deps.type.sighash(built.unsignedTx, 0, built.prevouts);
    const key = s.running.custody.key;
    const psbt = Psbt.fromBase64(row.psbt as string);

    // A key that is not the custody's: refused whole.
    const stranger = crypto.getRandomValues(new Uint8Array(32));
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    const bad = psbt.clone();
    bad.updateInput(0, {
      partialSig: [
        {
          pubkey: secp256k1.getPublicKey(stranger, true),
          signature: Buffer.from(
            signP2wshPartial({ secretKey: stranger, sighash }).slice(2),
            'hex',
          ),
        },
      ],
    });
    const refused = await s.call('POST', url, { body: { psbt: bad.toBase64() } });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/not a custody key/);

    for (const name of ['signer-1', 'signer-3']) {
      const secretKey = await signerSecret(name, key.id);
      psbt.updateInput(0, {
        partialSig: [
          {
            pubkey: secp256k1.getPublicKey(secretKey, true),
            signature: Buffer.from(signP2wshPartial({ secretKey, sighash }).slice(2), 'hex'),
          },
        ],
      });
    }
    const merged = await s.call('POST', url, { body: { psbt: psbt.toBase64() } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.signatureCounts).toEqual([2]);

    const exported = await until(
      () => s.call('GET', `/v1/settlements/${id}`),
      (r) => r.body.status === 'exported',
      60_000,
    );
    expect(exported.body.rawTx).toMatch(/^[0-9a-f]+$/);
  });
});
