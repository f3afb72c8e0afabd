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

  it('binds nothing when the signature is not released (its proposal bound to another message)', async () => {
    const sql = sqlOf();
    const d = release({ txid: txid('d'), outpoints: [out('4')] });
    expect(await sql.release({ audit, items: [item('p4', d)] })).toEqual(['released']);
    const e = release({ txid: txid('e'), outpoints: [out('5')] });
    // the proposal p4 is bound to d's message: e under p4 is not released
    const other = { ...item('p4', e), messageHash: `0x${'f'.repeat(64)}` };
    expect(await sql.release({ audit, items: [other] })).toEqual(['unbound']);
    expect(
      await db.store.db.signerBinding.findUnique({ where: { outpoint: out('5') } }),
    ).toBeNull();
    expect(
      await db.store.db.signerSettlement.findUnique({ where: { txid: txid('e') } }),
    ).toBeNull();
  });

  it('two settlements for one output in one batch: the first is bound, the second refused', async () => {
    const sql = sqlOf();
    const f = release({ txid: txid('6'), outpoints: [out('7')] });
    const g = release({ txid: txid('8'), outpoints: [out('7')] });
    expect(await sql.release({ audit, items: [item('p6', f), item('p8', g)] })).toEqual([
      'released',
      'rebound',
    ]);
    const bound = await db.store.db.signerBinding.findUnique({ where: { outpoint: out('7') } });
    expect(bound?.settlementTxid).toBe(txid('6'));
  });
});

describe('custody binding on postgresql, two transactions at once', () => {
  const db = useFreshStore('postgresql');

  it('two settlements for one output released concurrently: exactly one is bound', async () => {
    const a = prismaSignerSql(db.store.db);
    const b = prismaSignerSql(db.store.db);
    const item = (p: string, t: string) => ({
      proposalId: p,
      keyId: 'k',
      messageHash: `0x${p.padEnd(64, '0')}`,
      custody: release({ txid: txid(t), outpoints: [out('9')] }),
    });
    const results = await Promise.allSettled([
      a.release({ audit, items: [item('q1', '1')] }),
      b.release({ audit, items: [item('q2', '2')] }),
    ]);
    const released = results.filter(
      (r) => r.status === 'fulfilled' && r.value[0] === 'released',
    ).length;
    expect(released).toBe(1);
    const bindings = await db.store.db.signerBinding.findMany({ where: { outpoint: out('9') } });
    expect(bindings).toHaveLength(1);
    const settlements = await db.store.db.signerSettlement.count();
    expect(settlements).toBe(1);
  });

  it('two requests for the same settlement at once (two inputs, two proposals): both released', async () => {
    const a = prismaSignerSql(db.store.db);
    const b = prismaSignerSql(db.store.db);
    const same = release({ txid: txid('3'), outpoints: [out('c'), out('d')] });
    const item = (p: string) => ({
      proposalId: p,
      keyId: 'k',
      messageHash: `0x${p.padEnd(64, '0')}`,
      custody: same,
    });
    const [x, y] = await Promise.all([
      a.release({ audit, items: [item('r1')] }),
      b.release({ audit, items: [item('r2')] }),
    ]);
    expect([x, y]).toEqual([['released'], ['released']]);
    const bindings = await db.store.db.signerBinding.findMany({
      where: { outpoint: { in: [out('c'), out('d')] } },
    });
    expect(bindings.map((r) => r.settlementTxid)).toEqual([txid('3'), txid('3')]);
  });
});
