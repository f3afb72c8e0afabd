/**
 * `custody exec` as an operator runs it: exactly one JSON object on stdout, logs on stderr,
 * one readable line and a non-zero exit for any bad file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { batchFile, newKey, signTx } from './support/txs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'custody-exec-'));

function custody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/custody.js', ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const k = newKey();
const good = file(
  'good.json',
  JSON.stringify(
    batchFile({
      pre: { [k.address]: { balance: 10n ** 18n } },
      txs: [0n, 1n, 2n].map((nonce) => signTx(k, { nonce, to: newKey().address, value: 9n })),
    }),
  ),
);

describe('custody exec', () => {
  it('prints one JSON object, the same in both modes', { timeout: 120_000 }, async () => {
    const par = await custody(['exec', '--batch', good, '--workers', '2']);
    const seq = await custody(['exec', '--batch', good, '--mode', 'sequential']);
    expect(par.code).toBe(0);
    expect(seq.code).toBe(0);
    const lines = par.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const a = JSON.parse(lines[0] as string);
    const b = JSON.parse(seq.stdout);
    expect(a.stateRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a.receiptsRoot).toMatch(/^0x[0-9a-f]{64}$/);
    expect(a.gasUsed).toBe('0xf618');
    expect(a.txCount).toBe(3);
    expect(a.withdrawals).toEqual([]);
    for (const key of ['stateRoot', 'receiptsRoot', 'gasUsed', 'txCount', 'withdrawals'])
      expect(a[key]).toEqual(b[key]);
    expect(par.stderr).toMatch(/executed 3 transactions/);
  });

  const bad: [string, string[], RegExp][] = [
    ['missing file', ['--batch', join(dir, 'nope.json')], /cannot read .*ENOENT/],
    ['not JSON', ['--batch', file('trunc.json', '{"fork": "cancun"')], /not valid JSON/],
    [
      'wrong shape names the field',
      ['--batch', file('shape.json', '{"fork":"cancun","env":{},"pre":{},"txs":[]}')],
      /env\.chainId: required/,
    ],
    [
      'invalid transaction names its index',
      ['--batch', file('tx.json', JSON.stringify(batchFile({ pre: {}, txs: ['0x03c0'] })))],
      /transaction 0: blob/,
    ],
    ['bad mode', ['--batch', good, '--mode', 'fast'], /--mode/],
    ['bad worker count', ['--batch', good, '--workers', 'lots'], /--workers/],
  ];
  for (const [name, args, re] of bad) {
    it(`${name}: one line on stderr, nothing on stdout, non-zero exit`, {
      timeout: 60_000,
    }, async () => {
      const r = await custody(['exec', ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('custody:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }
});
