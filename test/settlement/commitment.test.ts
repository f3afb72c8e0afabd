import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { payments } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  type Commitment,
  commitmentFromHex,
  commitmentFromScript,
  commitmentScript,
  commitmentToJson,
  decodeCommitment,
  encodeCommitment,
} from '../../src/settlement/commitment.ts';
import { InvalidInputError } from '../../src/shared/errors.ts';
import { bytesToHex } from '../../src/shared/hex.ts';
import { ROOT } from '../support/cli.ts';

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 2 ** 32 - 1;

const example: Commitment = {
  chainId: 4242n,
  batchNumber: 7n,
  stateRoot: `0x${'ab'.repeat(32)}`,
  firstWithdrawalIndex: 0n,
  withdrawalCount: 3,
};
/** written out by hand from the format table in docs/commitment.md */
const EXAMPLE_HEX = [
  '524353', // tag "RCS"
  '01', // version 1
  '0000000000001092', // chainId 4242
  '0000000000000007', // batchNumber 7
  'ab'.repeat(32), // stateRoot
  '0000000000000000', // firstWithdrawalIndex 0
  '00000003', // withdrawalCount 3
].join('');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const u64 = () => randomBytes(8).readBigUInt64BE();

/** Refused with InvalidInputError whose message matches and whose `field` is `field`. */
function expectRefused(run: () => unknown, field: string, message: RegExp) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const e = caught as InvalidInputError;
  expect(e.message).toMatch(message);
  expect(e.extensions.field).toBe(field);
}

describe('commitment round trip', () => {
  it('encodes 64 bytes that decode to the same commitment, for random values', () => {
    for (let i = 0; i < 500; i++) {
      const c: Commitment = {
        chainId: u64(),
        batchNumber: u64(),
        stateRoot: bytesToHex(randomBytes(32)),
        firstWithdrawalIndex: u64() >> 1n, // keeps first + count within u64
        withdrawalCount: randomBytes(4).readUInt32BE(),
      };
      const bytes = encodeCommitment(c);
      expect(bytes.length).toBe(64);
      expect(decodeCommitment(bytes)).toEqual(c);
      expect(commitmentFromScript(commitmentScript(c))).toEqual(c);
    }
  });

  it.each([
    ['all zero', 0n, 0n, 0n, 0],
    ['all at their maximum (count 0 at index 2^64 - 1)', U64_MAX, U64_MAX, U64_MAX, 0],
    ['the last u64 index paid', 1n, 1n, U64_MAX, 1],
    ['the largest count', 1n, 1n, U64_MAX - BigInt(U32_MAX) + 1n, U32_MAX],
  ])('keeps the extremes: %s', (_name, chainId, batchNumber, first, count) => {
    for (const root of [`0x${'00'.repeat(32)}`, `0x${'ff'.repeat(32)}`]) {
      const c: Commitment = {
        chainId,
        batchNumber,
        stateRoot: root,
        firstWithdrawalIndex: first,
        withdrawalCount: count,
      };
      expect(decodeCommitment(encodeCommitment(c))).toEqual(c);
    }
  });

  it('decodes a payload inside a larger buffer (offsets are relative to the view)', () => {
    const big = new Uint8Array(100);
    big.set(encodeCommitment(example), 10);
    expect(decodeCommitment(big.subarray(10, 74))).toEqual(example);
  });
});

describe('known answer', () => {
  it('encodes the example field by field as the format table says', () => {
    expect(hex(encodeCommitment(example))).toBe(EXAMPLE_HEX);
  });

  it('makes the script OP_RETURN, one direct 64-byte push, the payload', () => {
    expect(hex(commitmentScript(example))).toBe(`6a40${EXAMPLE_HEX}`);
  });

  it('prints u64 fields as decimal strings and spells out tag and version', () => {
    expect(commitmentToJson(decodeCommitment(fromHex(EXAMPLE_HEX)))).toEqual({
      tag: 'RCS',
      version: 1,
      chainId: '4242',
      batchNumber: '7',
      stateRoot: `0x${'ab'.repeat(32)}`,
      firstWithdrawalIndex: '0',
      withdrawalCount: 3,
    });
  });

  it('fits the 80-byte OP_RETURN standardness limit', () => {
    expect(commitmentScript(example).length).toBeLessThanOrEqual(83); // OP_RETURN, push, 80
  });
});

describe('encodeCommitment refuses bad fields and names them', () => {
  const bad = (patch: Record<string, unknown>) => () =>
    encodeCommitment({ ...example, ...patch } as unknown as Commitment);

  it('a negative chain id is refused', () => {
    expectRefused(bad({ chainId: -1n }), 'chainId', /chainId: -1 is outside u64/);
  });
  it('a batch number past u64 is refused, not wrapped', () => {
    expectRefused(bad({ batchNumber: U64_MAX + 1n }), 'batchNumber', /outside u64/);
  });
  it('a u64 field given as a JS number is refused (it may already have lost precision)', () => {
    expectRefused(bad({ firstWithdrawalIndex: 5 }), 'firstWithdrawalIndex', /expected a bigint/);
  });
  it('a fractional withdrawal count is refused', () => {
    expectRefused(bad({ withdrawalCount: 1.5 }), 'withdrawalCount', /expected an integer/);
  });
  it('a withdrawal count past u32 is refused, not truncated', () => {
    expectRefused(bad({ withdrawalCount: U32_MAX + 1 }), 'withdrawalCount', /outside u32/);
  });
  it('a negative withdrawal count is refused', () => {
    expectRefused(bad({ withdrawalCount: -1 }), 'withdrawalCount', /outside u32/);
  });
  it('a withdrawal count given as a bigint is refused', () => {
    expectRefused(bad({ withdrawalCount: 3n }), 'withdrawalCount', /expected an integer/);
  });
  it('a paid range that runs past index 2^64 - 1 is refused', () => {
    expectRefused(
      bad({ firstWithdrawalIndex: U64_MAX, withdrawalCount: 2 }),
      'withdrawalCount',
      /passes 2\^64 - 1/,
    );
  });
  it('a short state root is refused', () => {
    expectRefused(bad({ stateRoot: `0x${'ab'.repeat(31)}` }), 'stateRoot', /expected 32 bytes/);
  });
  it('a long state root is refused', () => {
    expectRefused(bad({ stateRoot: `0x${'ab'.repeat(33)}` }), 'stateRoot', /expected 32 bytes/);
  });
  it('a state root that is not 0x-hex is refused', () => {
    expectRefused(bad({ stateRoot: 'ab'.repeat(32) }), 'stateRoot', /0x-prefixed hex/);
    expectRefused(bad({ stateRoot: `0x${'zz'.repeat(32)}` }), 'stateRoot', /0x-prefixed hex/);
  });
  it('a missing field is refused by name', () => {
    expectRefused(bad({ batchNumber: undefined }), 'batchNumber', /expected a bigint/);
  });
});

describe('decodeCommitment refuses what is not a version-1 commitment', () => {
  const good = () => fromHex(EXAMPLE_HEX);

  it('a truncated payload is refused', () => {
    expectRefused(
      () => decodeCommitment(good().subarray(0, 63)),
      'commitment',
      /expected 64 bytes, got 63/,
    );
  });
  it('a payload with trailing bytes is refused', () => {
    const long = new Uint8Array(65);
    long.set(good());
    expectRefused(() => decodeCommitment(long), 'commitment', /expected 64 bytes, got 65/);
  });
  it('an empty payload is refused', () => {
    expectRefused(() => decodeCommitment(new Uint8Array(0)), 'commitment', /got 0/);
  });
  it('a payload from another protocol (wrong tag) is refused', () => {
    const other = good();
    other.set(new TextEncoder().encode('OMN'), 0);
    expectRefused(() => decodeCommitment(other), 'commitment', /tag 0x4f4d4e is not "RCS"/);
  });
  it('a future version is refused, not misread', () => {
    const v2 = good();
    v2[3] = 2;
    expectRefused(
      () => decodeCommitment(v2),
      'commitment',
      /^commitment: version 2 is not known \(expected 1\)$/,
    );
  });
  it('version 0 is refused', () => {
    const v0 = good();
    v0[3] = 0;
    expectRefused(() => decodeCommitment(v0), 'commitment', /version 0 is not known/);
  });
  it('a payload whose range runs past index 2^64 - 1 is refused (it could not be encoded)', () => {
    const c = { ...example, firstWithdrawalIndex: U64_MAX, withdrawalCount: 0 };
    const bytes = encodeCommitment(c);
    bytes[63] = 2; // count 2 from index 2^64 - 1
    expectRefused(() => decodeCommitment(bytes), 'withdrawalCount', /passes 2\^64 - 1/);
  });
});

describe('commitmentFromScript refuses scripts that are not one standard commitment push', () => {
  const payload = () => fromHex(EXAMPLE_HEX);

  it('a script that is not OP_RETURN (a P2WPKH output) is refused', () => {
    const p2wpkh = fromHex(`0014${'11'.repeat(20)}`);
    expectRefused(() => commitmentFromScript(p2wpkh), 'script', /not an OP_RETURN script/);
  });
  it('a bare OP_RETURN (no push) is refused', () => {
    expectRefused(() => commitmentFromScript(fromHex('6a')), 'script', /one push, got 0/);
  });
  it('an OP_RETURN with a second push is refused, not half-read', () => {
    const two = payments.embed({ data: [payload(), fromHex('00ff')] }).output!;
    expectRefused(() => commitmentFromScript(two), 'script', /one push, got 2/);
  });
  it('a non-minimal push (OP_PUSHDATA1) is refused, so one commitment has one script', () => {
    const pushdata1 = fromHex(`6a4c40${EXAMPLE_HEX}`);
    expectRefused(() => commitmentFromScript(pushdata1), 'script', /pushed the standard way/);
  });
  it('a truncated script is refused', () => {
    const cut = fromHex(`6a40${EXAMPLE_HEX}`.slice(0, -2));
    expectRefused(() => commitmentFromScript(cut), 'script', /not an OP_RETURN script/);
  });
  it('an OP_RETURN carrying another protocol is refused by its tag', () => {
    const other = payload();
    other[0] = 0x00;
    const script = payments.embed({ data: [other] }).output!;
    expectRefused(() => commitmentFromScript(script), 'commitment', /tag/);
  });
});

describe('commitmentFromHex reads what an operator pastes', () => {
  it('takes the payload or the script, with or without 0x, in either case', () => {
    for (const text of [
      EXAMPLE_HEX,
      `0x${EXAMPLE_HEX}`,
      `6a40${EXAMPLE_HEX}`,
      `0x6a40${EXAMPLE_HEX}`,
      EXAMPLE_HEX.toUpperCase(),
    ]) {
      expect(commitmentFromHex(text)).toEqual(example);
    }
  });
  it('text that is not hex is refused', () => {
    expectRefused(() => commitmentFromHex('RCS!'), 'commitment', /expected hex digits/);
  });
  it('an odd number of hex digits (half a byte) is refused', () => {
    expectRefused(() => commitmentFromHex(EXAMPLE_HEX.slice(1)), 'commitment', /odd number/);
  });
  it('a payload of the wrong length is refused', () => {
    expectRefused(() => commitmentFromHex(EXAMPLE_HEX.slice(2)), 'commitment', /got 63/);
  });
});

describe('docs/commitment.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'commitment.md'), 'utf8');
  const examples = [...doc.matchAll(/```hex\n([^`]*?)\n```\s*```json\n([^`]*?)\n```/g)];

  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });
  it('each example hex decodes to the JSON beside it, and encodes back to the same hex', () => {
    for (const [, hexText, jsonText] of examples) {
      const text = hexText!.trim();
      const c = commitmentFromHex(text);
      expect(commitmentToJson(c)).toEqual(JSON.parse(jsonText!));
      const again = text.startsWith('6a') ? commitmentScript(c) : encodeCommitment(c);
      expect(hex(again)).toBe(text);
    }
  });
  it('its format table has the offsets and sizes the code writes', () => {
    const rows = [...doc.matchAll(/^\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*`(\w+)`/gm)].map((m) => [
      m[3],
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(rows).toEqual([
      ['tag', 0, 3],
      ['version', 3, 1],
      ['chainId', 4, 8],
      ['batchNumber', 12, 8],
      ['stateRoot', 20, 32],
      ['firstWithdrawalIndex', 52, 8],
      ['withdrawalCount', 60, 4],
    ]);
    // the offsets and sizes above are the ones EXAMPLE_HEX was written from
    expect(rows.reduce((n, r) => n + (r[2] as number), 0)).toBe(64);
  });
});
