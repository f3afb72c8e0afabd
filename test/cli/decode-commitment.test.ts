import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';

/** docs/commitment.md's first example: chain 4242, batch 7, withdrawals 0 to 2 */
const PAYLOAD =
  '5243530100000000000010920000000000000007c915a3ae289ad0f3dcf398290b3ca3d17132da674c604542c0ff0395d5fe6d4b000000000000000000000003';
const DECODED = {
  tag: 'RCS',
  version: 1,
  chainId: '4242',
  batchNumber: '7',
  stateRoot: '0xc915a3ae289ad0f3dcf398290b3ca3d17132da674c604542c0ff0395d5fe6d4b',
  firstWithdrawalIndex: '0',
  withdrawalCount: 3,
};

async function expectJson(hex: string) {
  const r = await runCli(['decode-commitment', hex]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.endsWith('\n')).toBe(true);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  expect(JSON.parse(r.stdout)).toEqual(DECODED);
}

/** Non-zero exit, exactly one readable stderr line (no stack), nothing on stdout. */
async function expectRefusal(args: string[], line: RegExp) {
  const r = await runCli(args);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

describe('custody decode-commitment HEX', () => {
  it('prints the payload as one JSON object', () => expectJson(PAYLOAD));
  it('accepts the payload with 0x', () => expectJson(`0x${PAYLOAD}`));
  it('prints the whole OP_RETURN script as the same JSON', () => expectJson(`6a40${PAYLOAD}`));
  it('accepts the script with 0x', () => expectJson(`0x6a40${PAYLOAD}`));

  it.each([
    ['text that is not hex', 'not-hex!', /^custody: commitment: expected hex digits/],
    ['an odd number of hex digits', PAYLOAD.slice(1), /^custody: commitment: odd number of hex/],
    [
      'a truncated payload',
      PAYLOAD.slice(0, -2),
      /^custody: commitment: expected 64 bytes, got 63$/,
    ],
    [
      'a payload from another protocol (wrong tag)',
      `4f4d4e${PAYLOAD.slice(6)}`,
      /^custody: commitment: tag 0x4f4d4e is not "RCS"/,
    ],
    [
      'a future version',
      `52435302${PAYLOAD.slice(8)}`,
      /^custody: commitment: version 2 is not known \(expected 1\)$/,
    ],
    [
      'an OP_RETURN with a non-minimal push',
      `6a4c40${PAYLOAD}`,
      /^custody: script: the payload is not pushed the standard way/,
    ],
  ])('refuses %s: exit non-zero, one stderr line', (_name, hex, line) =>
    expectRefusal(['decode-commitment', hex], line),
  );

  it("refuses a missing argument (commander's message and its --help hint)", async () => {
    const r = await runCli(['decode-commitment']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: missing required argument 'hex'$/m);
  });

  it('documents itself in --help, and is listed in the program help', async () => {
    const own = await runCli(['decode-commitment', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/Usage: custody decode-commitment \[options\] <hex>/);
    expect(own.stdout).toMatch(/decimal strings/);
    expect(own.stdout).toMatch(/docs\/commitment\.md/);
    const all = await runCli(['--help']);
    expect(all.stdout).toMatch(/decode-commitment/);
  });
});

describe('the decode-commitment module stays light', () => {
  /** every package a module imports at run time, following its relative imports */
  function runtimeImports(entry: string): { files: string[]; packages: Set<string> } {
    const files: string[] = [];
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (files.includes(file)) return;
      files.push(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
        if (m[1] !== undefined) continue; // `import type` is erased
        const spec = m[2]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else packages.add(spec);
      }
      for (const m of source.matchAll(/import\('([^']+)'\)/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
        else packages.add(spec);
      }
    };
    visit(entry);
    return { files: files.map((f) => path.relative(ROOT, f)), packages };
  }

  it('loads only src/shared, src/settlement and bitcoinjs-lib: no VM, database or HTTP stack', () => {
    const { files, packages } = runtimeImports(path.join(ROOT, 'src/cli/decode-commitment.ts'));
    for (const f of files) {
      expect(f).toMatch(/^src\/(cli\/decode-commitment|settlement\/[\w-]+|shared\/[\w-]+)\.ts$/);
    }
    expect([...packages].sort()).toEqual(['bitcoinjs-lib']);
  });
});
