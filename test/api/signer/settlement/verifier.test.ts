/**
 * The settlement verifier on a signer's own records (a real SQLite signer database, the offline
 * backend, outputs its operator registered): it allows only the sighash it derived from a
 * settlement it rebuilt, and refuses a raw message, a digest it did not derive, a batch it has
 * not verified yet or one behind its head, a second settlement for a bound custody output and a
 * replay of a settlement already followed by the next.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SignerContext } from '../../../../src/api/signer/context.ts';
import { createMultisigKey } from '../../../../src/api/signer/multisig-service.ts';
import { registerCustody, registerOutput } from '../../../../src/api/signer/operator.ts';
import type { PolicyRequest } from '../../../../src/api/signer/policy.ts';
import type { RollupView } from '../../../../src/api/signer/settlement/records.ts';
import { settlementVerifier } from '../../../../src/api/signer/settlement/verifier.ts';
import { prismaSignerSql } from '../../../../src/api/signer/signer-sql.ts';
import { generateMultisigKey } from '../../../../src/custody/multisig/keys.ts';
import { openBackend } from '../../../../src/settlement/backend/index.ts';
import type { ChainOutput } from '../../../../src/settlement/backend/types.ts';
import { type BuiltSettlement, buildSettlement } from '../../../../src/settlement/build.ts';
import { custodyType } from '../../../../src/settlement/custody-types/index.ts';
import { settlementNetwork } from '../../../../src/settlement/networks.ts';
import { useFreshStore } from '../../../support/databases.ts';

const network = settlementNetwork('regtest');
const policy = {
  maxFeeRateSatPerVb: 200,
  minFeeRateSatPerVb: 1,
  maxFeeSats: 2_000_000,
  maxWithdrawals: 2_000,
  maxEstimateFactor: 3,
  incrementalRelayFeeSatPerVb: 1,
};
const ROOT1 = `0x${'11'.repeat(32)}`;
const ROOT2 = `0x${'22'.repeat(32)}`;

describe('settlement verifier', () => {
  const db = useFreshStore('sqlite');
  const rollup = { number: 1 };
  const view: RollupView = {
    chainId: 4242n,
    head: async () => ({ number: rollup.number, stateRoot: rollup.number === 1 ? ROOT1 : ROOT2 }),
    batchStateRoot: async (n) => (n === 1 ? ROOT1 : n === 2 ? ROOT2 : null),
    withdrawals: async () => [],
  };
  const setup = async () => {
    const ctx = { db: db.store.db, kek: new Uint8Array(32).fill(9) } as unknown as SignerContext;
    const { publicKey } = await createMultisigKey(ctx, 'ms');
    const spec = {
      scheme: 'multisig-p2wsh' as const,
      threshold: 2,
      publicKeys: [publicKey, generateMultisigKey().publicKey, generateMultisigKey().publicKey],
    };
    await registerCustody(db.store.db, 'operator', 'ms', spec);
    const type = custodyType(spec);
    const funding: ChainOutput = {
      txid: 'cd'.repeat(32),
      vout: 1,
      valueSats: 1_000_000n,
      scriptPubKey: Buffer.from(type.scriptPubKey).toString('hex'),
      confirmations: 1,
    };
    await registerOutput(db.store.db, 'operator', funding);
    const verify = settlementVerifier({
      db: db.store.db,
      rollup: view,
      backend: openBackend({
        network: 'regtest',
        outboxDir: mkdtempSync(path.join(tmpdir(), 'ob-')),
      }),
      network,
      policy,
    });
    return { type, funding, verify };
  };
  let env: Awaited<ReturnType<typeof setup>>;

  const build = (current: ChainOutput, batch: number, root: string, rate: number, first = 0n) => {
    const r = buildSettlement(
      { current, topUps: [] },
      [],
      { chainId: 4242n, batchNumber: BigInt(batch), stateRoot: root, firstWithdrawalIndex: first },
      rate,
      {
        ...policy,
        maxFeeSats: BigInt(policy.maxFeeSats),
        fallbackFeeRateSatPerVb: 1,
        network,
        custody: env.type,
      },
    );
    if (r.status !== 'built') throw new Error(r.reason);
    return r;
  };
  const request = (
    s: BuiltSettlement,
    batch: number,
    rate: number,
    over: Partial<PolicyRequest> = {},
  ) => ({
    keyId: 'ms',
    proposalId: `p-${s.txid.slice(0, 8)}`,
    scheme: 'multisig-p2wsh' as const,
    message: env.type.sighash(s.unsignedTx, 0, s.prevouts),
    settlement: {
      psbt: s.psbt.toBase64(),
      batchNumber: batch,
      feeRateSatPerVb: rate,
      inputIndex: 0,
    },
    ...over,
  });
  const release = async (req: PolicyRequest) => {
    const d = await env.verify(req);
    if (!d.allow || d.custody === undefined) throw new Error(`refused: ${JSON.stringify(d)}`);
    const messageHash = `0x${Buffer.from(req.message).toString('hex')}`;
    const items = [
      { proposalId: req.proposalId, keyId: req.keyId, messageHash, custody: d.custody },
    ];
    const audit = () => ({ actor: 's', action: 'policy.decide', subject: null, data: {} });
    expect(await prismaSignerSql(db.store.db).release({ audit, items })).toEqual(['released']);
  };

  it('refuses a raw 32-byte message that names no settlement', async () => {
    env = await setup();
    const d = await env.verify({
      keyId: 'ms',
      proposalId: 'p',
      scheme: 'multisig-p2wsh',
      message: new Uint8Array(32),
    });
    expect(d).toMatchObject({ allow: false, reason: expect.stringMatching(/^raw-message:/) });
  });

  it('refuses a digest other than the sighash it derived itself', async () => {
    const s = build(env.funding, 1, ROOT1, 2);
    const d = await env.verify(request(s, 1, 2, { message: new Uint8Array(32).fill(1) }));
    expect(d).toMatchObject({ allow: false, reason: expect.stringMatching(/^message:/) });
  });

  it('refuses a wrong state root (not its own batch 1)', async () => {
    const s = build(env.funding, 1, ROOT2, 2);
    const d = await env.verify(request(s, 1, 2));
    expect(d).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/^mismatch: output 1 pays script 6a/),
    });
  });

  it('refuses a batch it has not verified yet (behind)', async () => {
    const s = build(env.funding, 2, ROOT2, 2);
    expect(await env.verify(request(s, 2, 2))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/^behind:/),
    });
  });

  it('allows the settlement it rebuilds and binds it on release', async () => {
    const s = build(env.funding, 1, ROOT1, 2);
    await release(request(s, 1, 2));
    const binding = await db.store.db.signerBinding.findUnique({
      where: { outpoint: `${'cd'.repeat(32)}:1` },
    });
    expect(binding?.settlementTxid).toBe(s.txid);
  });

  it('allows a fee bump of exactly the bound settlement (only its change lower)', async () => {
    const bump = build(env.funding, 1, ROOT1, 3);
    expect(await env.verify(request(bump, 1, 2))).toMatchObject({ allow: true });
  });

  it('refuses a second settlement for the already bound custody output', async () => {
    const s = build(env.funding, 1, ROOT2, 3);
    expect(await env.verify(request(s, 1, 3))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/^second-settlement:/),
    });
  });

  it('refuses a stale batch, then signs the next settlement from its own change', async () => {
    const first = build(env.funding, 1, ROOT1, 2);
    const change: ChainOutput = {
      ...env.funding,
      txid: first.txid,
      vout: 0,
      valueSats: first.changeSats,
    };
    rollup.number = 2;
    const stale = build(change, 1, ROOT1, 2);
    expect(await env.verify(request(stale, 1, 2))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/^stale-batch:/),
    });
    await release(request(build(change, 2, ROOT2, 2), 2, 2));
  });

  it('refuses a replay of a settlement already followed by the next', async () => {
    const first = build(env.funding, 1, ROOT1, 2);
    expect(await env.verify(request(first, 1, 2))).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/^replayed:/),
    });
  });
});
