import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LEAF_TAG,
  NODE_TAG,
  ROOT_TAG,
  taggedHash,
  withdrawalLeaf,
  withdrawalLeafPreimage,
  withdrawalsRoot,
} from '../../../src/execution/bridge/merkle.ts';
import type { Withdrawal } from '../../../src/execution/bridge/withdrawals.ts';
import { InvalidInputError } from '../../../src/shared/errors.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';
import { refRoot } from './merkle-reference.ts';
import { randomBytes, standardScript } from './scripts.ts';

interface VectorCase {
  description: string;
  withdrawals: Withdrawal[];
  leafPreimages: string[];
  root: string;
}
const vectors = JSON.parse(
  readFileSync(new URL('./vectors/withdrawals-root.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };

function randomWithdrawals(n: number, firstIndex = 0): Withdrawal[] {
  const types = ['p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr'] as const;
  return Array.from({ length: n }, (_, i) => {
    const amount = new DataView(randomBytes(4).buffer).getUint32(0) + 546;
    return {
      index: `0x${(firstIndex + i).toString(16)}`,
      scriptPubKey: bytesToHex(standardScript(types[i % types.length]!)),
      amountSats: `0x${amount.toString(16)}`,
    };
  });
}

function toRef(ws: Withdrawal[]) {
  return ws.map((w) => ({
    index: BigInt(w.index),
    amountSats: BigInt(w.amountSats),
    script: Buffer.from(w.scriptPubKey.slice(2), 'hex'),
  }));
}

describe('withdrawals root vectors', () => {
  it.each(vectors.cases.map((c) => [c.description, c] as const))('%s', (_d, c) => {
    expect(c.withdrawals.map((w) => bytesToHex(withdrawalLeafPreimage(w)))).toEqual(
      c.leafPreimages,
    );
    expect(withdrawalsRoot(c.withdrawals)).toBe(c.root);
  });

  it('empty list root is TaggedHash(root tag, 8 zero bytes || 32 zero bytes)', () => {
    expect(withdrawalsRoot([])).toBe(bytesToHex(taggedHash(ROOT_TAG, new Uint8Array(40))));
  });
});

describe('withdrawals root properties', () => {
  it('equals the independent RFC 6962-split formulation for every size up to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const ws = randomWithdrawals(n, 1000);
      expect(withdrawalsRoot(ws), `n=${n}`).toBe(refRoot(toRef(ws)));
    }
  });

  it('CVE-2012-2459: repeating the last item of an odd list changes the root', () => {
    for (const n of [1, 3, 5, 7]) {
      const ws = randomWithdrawals(n);
      expect(withdrawalsRoot([...ws, ws.at(-1)!])).not.toBe(withdrawalsRoot(ws));
    }
  });

  it('a single leaf is not its own root, and a leaf never hashes like an inner node', () => {
    const [w] = randomWithdrawals(1);
    const leaf = withdrawalLeaf(w!);
    expect(withdrawalsRoot([w!])).not.toBe(bytesToHex(leaf));
    const preimage = withdrawalLeafPreimage(w!);
    expect(bytesToHex(taggedHash(LEAF_TAG, preimage))).not.toBe(
      bytesToHex(taggedHash(NODE_TAG, preimage)),
    );
  });

  it('reordering, or changing any field of any item, changes the root', () => {
    const ws = randomWithdrawals(6);
    const root = withdrawalsRoot(ws);
    expect(withdrawalsRoot([ws[1]!, ws[0]!, ...ws.slice(2)])).not.toBe(root);
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      const script = Buffer.from(w.scriptPubKey.slice(2), 'hex');
      script[script.length - 1]! ^= 1;
      const variants: Withdrawal[] = [
        { ...w, amountSats: `0x${(BigInt(w.amountSats) + 1n).toString(16)}` },
        { ...w, index: `0x${(BigInt(w.index) + 1n).toString(16)}` },
        { ...w, scriptPubKey: `0x${script.toString('hex')}` },
      ];
      for (const v of variants) {
        expect(withdrawalsRoot(ws.map((x, j) => (j === i ? v : x)))).not.toBe(root);
      }
    }
  });

  it('refuses indices or amounts that do not fit 64 bits instead of truncating them', () => {
    const [w] = randomWithdrawals(1);
    const big = `0x1${'0'.repeat(16)}`;
    expect(() => withdrawalsRoot([{ ...w!, index: big }])).toThrow(InvalidInputError);
    expect(() => withdrawalsRoot([{ ...w!, amountSats: big }])).toThrow(
      /withdrawals\[0\]\.amountSats/,
    );
    expect(() => withdrawalsRoot([{ ...w!, scriptPubKey: '0x0' }])).toThrow(InvalidInputError);
  });
});
