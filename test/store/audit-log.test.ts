import { beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, GENESIS_HASH, verifyAuditLog } from '../../src/store/audit-log.ts';
import { runCli } from '../support/cli.ts';
import { DATABASE_KINDS, useFreshStore } from '../support/databases.ts';

describe.each(DATABASE_KINDS)('audit log on %s', (kind) => {
  const ctx = useFreshStore(kind);
  beforeEach(async () => {
    await ctx.store.db.auditEntry.deleteMany();
    await ctx.store.db.auditHead.deleteMany();
  });

  async function appendThree() {
    for (const action of ['batch.received', 'batch.executed', 'settlement.proposed']) {
      await appendAudit(ctx.store.db, { actor: 'test', action, subject: 'bat_1', data: { n: 1 } });
    }
  }

  it('verifies an empty log', async () => {
    expect(await verifyAuditLog(ctx.store.db)).toEqual({
      ok: true,
      entries: 0,
      headHash: GENESIS_HASH,
      problems: [],
    });
  });

  it('chains appended entries and verifies them', async () => {
    await appendThree();
    const entries = await ctx.store.db.auditEntry.findMany({ orderBy: { seq: 'asc' } });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    const result = await verifyAuditLog(ctx.store.db);
    expect(result).toMatchObject({ ok: true, entries: 3, headHash: entries[2]!.hash });
  });

  it('serialises concurrent appenders into one unbroken chain', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        appendAudit(ctx.store.db, { actor: `writer-${i % 3}`, action: 'concurrent', data: { i } }),
      ),
    );
    const result = await verifyAuditLog(ctx.store.db);
    expect(result).toMatchObject({ ok: true, entries: 12 });
  });

  it('detects an edited entry (tampering with recorded data)', async () => {
    await appendThree();
    await ctx.store.db.auditEntry.update({ where: { seq: 2 }, data: { data: '{"n":2}' } });
    const result = await verifyAuditLog(ctx.store.db);
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 2, kind: 'edited' }));
  });

  it('detects an edit that also recomputes the entry hash (the link to the next entry breaks)', async () => {
    await appendThree();
    const { hashAuditEntry } = await import('../../src/store/audit-log.ts');
    const e = (await ctx.store.db.auditEntry.findUnique({ where: { seq: 2 } }))!;
    const forged = { ...e, actor: 'someone-else' };
    await ctx.store.db.auditEntry.update({
      where: { seq: 2 },
      data: { actor: forged.actor, hash: hashAuditEntry(e.prevHash, forged) },
    });
    const result = await verifyAuditLog(ctx.store.db);
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 3, kind: 'reordered' }));
  });

  it('detects a deleted entry in the middle', async () => {
    await appendThree();
    await ctx.store.db.auditEntry.delete({ where: { seq: 2 } });
    const result = await verifyAuditLog(ctx.store.db);
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 2, kind: 'missing' }));
  });

  it('detects entries deleted from the end (truncation)', async () => {
    await appendThree();
    await ctx.store.db.auditEntry.delete({ where: { seq: 3 } });
    const result = await verifyAuditLog(ctx.store.db);
    expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'head-mismatch' }));
  });

  it('detects truncation with a rewritten head row against a head recorded elsewhere', async () => {
    await appendThree();
    const recorded = (await verifyAuditLog(ctx.store.db)).headHash;
    const second = (await ctx.store.db.auditEntry.findUnique({ where: { seq: 2 } }))!;
    await ctx.store.db.auditEntry.delete({ where: { seq: 3 } });
    await ctx.store.db.auditHead.update({ where: { id: 1 }, data: { seq: 2, hash: second.hash } });
    expect((await verifyAuditLog(ctx.store.db)).ok).toBe(true);
    const result = await verifyAuditLog(ctx.store.db, { expectHead: recorded });
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'head-mismatch' }));
  });

  it('detects reordered entries (two entries swapped)', async () => {
    await appendThree();
    const [a, b] = await Promise.all([
      ctx.store.db.auditEntry.findUnique({ where: { seq: 1 } }),
      ctx.store.db.auditEntry.findUnique({ where: { seq: 2 } }),
    ]);
    await ctx.store.db.auditEntry.delete({ where: { seq: 1 } });
    await ctx.store.db.auditEntry.delete({ where: { seq: 2 } });
    await ctx.store.db.auditEntry.create({ data: { ...b!, seq: 1 } });
    await ctx.store.db.auditEntry.create({ data: { ...a!, seq: 2 } });
    const result = await verifyAuditLog(ctx.store.db);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.kind)).toContain('reordered');
  });

  it('`custody audit verify` exits 0 on an intact log and 1 on a tampered one', async () => {
    await appendThree();
    const good = await runCli(['audit', 'verify'], { DATABASE_URL: ctx.database.url });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, entries: 3 });

    await ctx.store.db.auditEntry.update({ where: { seq: 1 }, data: { action: 'nothing.to.see' } });
    const bad = await runCli(['audit', 'verify'], { DATABASE_URL: ctx.database.url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/failed verification: entry 1 edited/);
  });
});
