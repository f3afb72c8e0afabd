import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  buildP2wshSortedMulti,
  buildTapscriptMultiA,
  generateMultisigKey,
  NUMS_INTERNAL_KEY,
} from '../../../src/custody/multisig/keys.ts';
import {
  signTapscriptPartial,
  verifyTapscriptPartial,
} from '../../../src/custody/multisig/partial-sign.ts';
import { descriptorChecksum } from '../../../src/shared/descriptor-checksum.ts';
import { InvalidInputError } from '../../../src/shared/errors.ts';

const signers = Array.from({ length: 3 }, () => generateMultisigKey());
const keys = signers.map((s) => s.publicKey);
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

describe('descriptor checksum', () => {
  it('matches the BIP380 vector raw(deadbeef)#89f8spxm', () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
  });
});

describe('P2WSH sortedmulti 2-of-3', () => {
  it('orders keys by BIP67 whatever order they arrive in', () => {
    const a = buildP2wshSortedMulti(2, keys);
    const b = buildP2wshSortedMulti(2, [...keys].reverse());
    expect(a).toEqual(b);
    expect(a.publicKeys).toEqual([...keys].sort());
  });

  it('is OP_2 <k1> <k2> <k3> OP_3 OP_CHECKMULTISIG under a v0 witness program of its sha256', () => {
    const m = buildP2wshSortedMulti(2, keys);
    const expected = `0x52${m.publicKeys.map((k) => `21${k.slice(2)}`).join('')}53ae`;
    expect(m.witnessScript).toBe(expected);
    expect(m.scriptPubKey).toBe(
      `0x0020${Buffer.from(sha256(bytes(m.witnessScript))).toString('hex')}`,
    );
    expect(m.descriptor).toMatch(/^wsh\(sortedmulti\(2,[0-9a-f,]+\)\)#[a-z0-9]{8}$/);
  });

  it('duplicate key is refused (it would let one signer count twice)', () => {
    expect(() => buildP2wshSortedMulti(2, [keys[0]!, keys[0]!, keys[1]!])).toThrow(
      InvalidInputError,
    );
  });
});

describe('tapscript multi_a 2-of-3 under the NUMS internal key', () => {
  const m = buildTapscriptMultiA(2, keys);

  it('uses BIP341 H as internal key, so no key-path spend exists', () => {
    expect(m.internalKey).toBe(NUMS_INTERNAL_KEY);
    expect(m.controlBlock.slice(4)).toBe(NUMS_INTERNAL_KEY.slice(2));
    expect(m.scriptPubKey).toBe(`0x5120${m.outputKey.slice(2)}`);
  });

  it('is <k1> CHECKSIG <k2> CHECKSIGADD <k3> CHECKSIGADD OP_2 NUMEQUAL', () => {
    const [k1, k2, k3] = m.publicKeys.map((k) => k.slice(2));
    expect(m.leafScript).toBe(`0x20${k1}ac20${k2}ba20${k3}ba529c`);
  });

  it('the control block parity bit matches the output key (BIP341 script-path check)', () => {
    const Q = schnorr.utils.lift_x(BigInt(m.outputKey));
    const tweak = schnorr.utils.taggedHash('TapTweak', bytes(NUMS_INTERNAL_KEY), bytes(m.leafHash));
    const P = schnorr.utils.lift_x(BigInt(NUMS_INTERNAL_KEY));
    const computed = P.add(
      schnorr.Point.BASE.multiply(BigInt(`0x${Buffer.from(tweak).toString('hex')}`)),
    );
    expect(computed.x).toBe(Q.x);
    expect(bytes(m.controlBlock)[0]! & 1).toBe(computed.y % 2n === 0n ? 0 : 1);
  });

  it('two signers partial signatures verify against their script keys', () => {
    const sighash = crypto.getRandomValues(new Uint8Array(32));
    for (const s of signers.slice(0, 2)) {
      const sig = signTapscriptPartial({ secretKey: s.secretKey, sighash });
      expect(verifyTapscriptPartial(`0x${s.publicKey.slice(4)}`, sighash, sig)).toBe(true);
      expect(m.publicKeys).toContain(`0x${s.publicKey.slice(4)}`);
    }
  });
});
