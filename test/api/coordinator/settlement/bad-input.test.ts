/**
 * `custody settle` given bad input: one readable line on stderr, a non-zero exit, nothing on
 * stdout, and nothing stored (no batch row, no settlement, the world state head unchanged).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { coordinator } from './harness.ts';

function lastLine(stderr: string): string {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('custody:'))
    .join('\n');
}

describe('custody settle refuses bad input and stores nothing', () => {
  it('bad files, bad options and a batch for another chain', { timeout: 240_000 }, async () => {
    const c = coordinator('frost', null);
    await c.settle(['--until', 'idle']);
    const root = await c.state();
    const file = (name: string, text: string) => {
      const p = path.join(c.dir, name);
      writeFileSync(p, text);
      return p;
    };
    const good = await c.withdrawalBatch([
      { scriptPubKey: `0014${'11'.repeat(20)}`, sats: 10_000n },
    ]);
    const foreign = JSON.parse((await import('node:fs')).readFileSync(good, 'utf8'));
    foreign.env.chainId = '0x1';
    const cases: [string[], RegExp][] = [
      [
        ['--batch', file('broken.json', '{')],
        /^custody: --batch: .*broken\.json is not valid JSON/,
      ],
      [
        ['--batch', path.join(c.dir, 'missing.json')],
        /^custody: --batch: cannot read .*missing\.json \(ENOENT\)/,
      ],
      [['--batch', file('shape.json', '{"txs": "nope"}')], /^custody: /],
      [['--batch', good, file('second-bad.json', '[]')], /^custody: /],
      [
        ['--batch', file('foreign.json', JSON.stringify(foreign))],
        /^custody: env\.chainId: 1 is not this node's chain id 4242/,
      ],
      [
        [
          '--batch',
          file(
            'stale.json',
            JSON.stringify({
              ...foreign,
              env: { ...foreign.env, chainId: '0x1092' },
              preStateRoot: `0x${'11'.repeat(32)}`,
            }),
          ),
        ],
        /^custody: preStateRoot: 0x1{64} is not the world state's head/,
      ],
      [['--until', 'someday'], /^custody: --until: expected one of/],
      [['--timeout', '-5'], /^custody: --timeout: expected milliseconds/],
      [
        ['--bump-after', '0'],
        /^custody: --bump-after: expected a whole number of blocks from 1 to 1000/,
      ],
      [['--register-output', 'zz:0:1'], /^custody: --register-output: expected TXID:VOUT:SATS/],
    ];
    for (const [args, message] of cases) {
      const r = await c.settleRaw(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(lastLine(r.stderr), r.stderr).toMatch(message);
      expect(lastLine(r.stderr).split('\n')).toHaveLength(1);
    }
    // A transaction the executor refuses (a nonce from the future): the batch keeps no row.
    c.nonce = 5n;
    const refused = await c.withdrawalBatch([
      { scriptPubKey: `0014${'22'.repeat(20)}`, sats: 10_000n },
    ]);
    const r = await c.settleRaw(['--batch', refused]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(lastLine(r.stderr).split('\n')).toHaveLength(1);
    const db = new Database(path.join(c.env.DATA_DIR as string, 'custody.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM Batch').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM Settlement').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(await c.state()).toBe(root);
    // Nothing left behind blocks the next good batch, which takes number 1.
    const ok = await c.settle(['--batch', good, '--until', 'idle']);
    expect(ok.batches).toMatchObject([{ number: 1, withdrawals: 1 }]);
  });
});
