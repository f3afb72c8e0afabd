/**
 * The custody-output binding written in the transaction that releases a settlement signature
 * (signer-sql.ts, signer-sqlite.ts): the first settlement signed for an output binds it; a fee
 * bump of that settlement is released and recorded beside it; a second settlement spending a
 * bound output is refused with nothing written, on every SignerSql implementation.
 */
import { describe, expect, it } from 'vitest';
import {
  type CustodyRelease,
  prismaSignerSql,
  type SignerSql,
} from '../../../src/api/signer/signer-sql.ts';
import { openSqliteSignerSql } from '../../../src/api/signer/signer-sqlite.ts';
import { DATABASE_KINDS, useFreshStore } from '../../support/databases.ts';

const txid = (c: string) => c.repeat(64);
const out = (c: string, vout = 0) => `${txid(c)}:${vout}`;

function release(
  c: Partial<CustodyRelease> & { txid: string; outpoints: string[] },
): CustodyRelease {
  return {
    originalTxid: c.originalTxid ?? c.txid,
    buildArgs: '{"inputs":{},"head":{}}',
    feeSats: 500n,
    batchNumber: 1,
    nextWithdrawalIndex: '3',
    change: { outpoint: `${c.txid}:0`, valueSats: 99_000n },
    ...c,
  };
}

const audit = () => ({ actor: 'test', action: 'policy.decide', subject: null, data: {} });

describe.each([
  ...DATABASE_KINDS.map((kind) => ({ kind, fast: false })),
  { kind: 'sqlite' as const, fast: true },
])('custody binding on $kind (prepared statements: $fast)', ({ kind, fast }) => {
  const db = useFreshStore(kind);
  const sqlOf = (): SignerSql => {
    const store = db.store;
    if (!fast) return prismaSignerSql(store.db);
    if (store.target.provider !== 'sqlite') throw new Error('expected SQLite');
    return openSqliteSignerSql(store.target.file);
  };
  const item = (proposalId: string, custody: CustodyRelease) => ({
    proposalId,
    keyId: 'k',
    messageHash: `0x${proposalId.padEnd(64, '0')}`,
    custody,
  });

  it('binds every spent output to the first settlement and records its change', async () => {
    const sql = sqlOf();
    const first = release({ txid: txid('a'), outpoints: [out('1'), out('2', 1)] });
    expect(await sql.release({ audit, items: [item('p1', first)] })).toEqual(['released']);
    const bindings = await db.store.db.signerBinding.findMany({ orderBy: { outpoint: 'asc' } });
    expect(bindings.map((b) => [b.outpoint, b.settlementTxid])).toEqual([
      [out('1'), txid('a')],
      [out('2', 1), txid('a')],
    ]);
    const change = await db.store.db.signerCustodyOutput.findUnique({
      where: { outpoint: out('a') },
    });
    expect(change).toMatchObject({
      valueSats: 99_000n,
      source: 'change',
      settlementTxid: txid('a'),
    });
  });

  it('releases a fee bump of the bound settlement and records it beside the first', async () => {
    const sql = sqlOf();
    const bump = release({
      txid: txid('b'),
      originalTxid: txid('a'),
      outpoints: [out('1'), out('2', 1)],
      feeSats: 900n,
      change: { outpoint: out('b'), valueSats: 98_600n },
    });
    expect(await sql.release({ audit, items: [item('p2', bump)] })).toEqual(['released']);
    const versions = await db.store.db.signerSettlement.findMany({
      where: { originalTxid: txid('a') },
    });
    expect(versions.map((v) => v.txid).sort()).toEqual([txid('a'), txid('b')]);
  });

  it('refuses a second settlement for an already bound custody output, writing nothing', async () => {
    const sql = sqlOf();
    const second = release({ txid: txid('c'), outpoints: [out('3'), out('2', 1)] });
    expect(await sql.release({ audit, items: [item('p3', second)] })).toEqual(['rebound']);
    expect(
      await db.store.db.signerBinding.findUnique({ where: { outpoint: out('3') } }),
    ).toBeNull();
    expect(await db.store.db.signerProposal.findUnique({ where: { id: 'p3' } })).toBeNull();
    expect(
      await db.store.db.signerSettlement.findUnique({ where: { txid: txid('c') } }),
    ).toBeNull();
  });
});
