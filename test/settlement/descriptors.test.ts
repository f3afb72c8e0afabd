/**
 * Custody descriptors: BIP380 checksums, BIP386/387 and Bitcoin Core scriptPubKey vectors, the
 * same scripts as src/custody (which builds them by hand), the FROST key question against a
 * real DKG, and a real litecoind 0.21 checking what it knows (wsh(sortedmulti), addr()).
 */
import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { address as btcAddress } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputKeyXOnly } from '../../src/custody/frost/wire.ts';
import {
  buildP2wshSortedMulti,
  buildTapscriptMultiA,
  NUMS_INTERNAL_KEY as CUSTODY_NUMS,
  generateMultisigKey,
} from '../../src/custody/multisig/keys.ts';
import { tapTweakPublicKey } from '../../src/custody/taproot.ts';
import {
  type CustodySpec,
  custodyDescriptor,
  deriveCustodyOutput,
  hasValidChecksum,
  NUMS_INTERNAL_KEY,
} from '../../src/settlement/descriptors.ts';
import { settlementNetwork } from '../../src/settlement/networks.ts';
import { runFullDkg } from '../custody/helpers.ts';
import { type Litecoind, startLitecoind } from '../support/litecoind.ts';

interface Vectors {
  checksum: { valid: string[]; invalid: Record<string, string> };
  scripts: { source: string; descriptor: string; spec: CustodySpec; scriptPubKey: string }[];
}
const vectors: Vectors = JSON.parse(
  readFileSync(new URL('./vectors/descriptors.json', import.meta.url), 'utf8'),
);

const strip = (h: string) => h.replace(/^0x/, '');
const keys = Array.from({ length: 3 }, () => generateMultisigKey().publicKey);

describe('BIP380 checksums', () => {
  it.each(vectors.checksum.valid)('accepts %s', (d) => {
    expect(hasValidChecksum(d)).toBe(true);
  });
  it.each(Object.entries(vectors.checksum.invalid))('refuses %s: %s', (_name, d) => {
    expect(hasValidChecksum(d)).toBe(false);
  });
  it('every descriptor we produce carries a valid checksum', () => {
    for (const spec of [
      { scheme: 'frost', outputKey: NUMS_INTERNAL_KEY },
      { scheme: 'multisig-p2wsh', threshold: 2, publicKeys: keys },
      { scheme: 'multisig-tapscript', threshold: 2, publicKeys: keys },
    ] as CustodySpec[]) {
      expect(hasValidChecksum(custodyDescriptor(spec))).toBe(true);
    }
  });
});

describe('scriptPubKey vectors (BIP386, BIP387, Bitcoin Core rawtr)', () => {
  it.each(vectors.scripts.map((v) => [v.source, v.descriptor, v] as const))(
    '%s: %s',
    (_source, descriptor, v) => {
      const out = deriveCustodyOutput(v.spec, 'bitcoin');
      expect(out.descriptor).toBe(`${descriptor}#${out.descriptor.split('#')[1]}`);
      // The line above takes the checksum from the value under test; check it independently.
      expect(hasValidChecksum(out.descriptor)).toBe(true);
      expect(out.scriptPubKey).toBe(v.scriptPubKey);
      expect(strip(Buffer.from(btcAddress.toOutputScript(out.address)).toString('hex'))).toBe(
        v.scriptPubKey,
      );
    },
  );
});

describe('FROST: the group key is the output key, so the descriptor is rawtr(Q), not tr(Q)', () => {
  const dkg = runFullDkg(2, 3);
  const groupKey = dkg.results[0]!.groupKey;
  const Q = strip(outputKeyXOnly(groupKey));
  // The untweaked key P is the sum of the participants' round-1 constant-term commitments
  // (noble tweaks the DKG result with BIP86 and keeps only the tweaked package).
  const sum = dkg.packages
    .map((p) => secp256k1.Point.fromHex(strip(p.commitment[0]!)))
    .reduce((a, b) => a.add(b));
  const P = sum.toHex(true).slice(2);

  it('P tweaked by BIP86 (src/custody/taproot.ts) is the group key Q', () => {
    expect(Buffer.from(tapTweakPublicKey(Buffer.from(P, 'hex')).outputKey).toString('hex')).toBe(Q);
  });

  it('rawtr(Q) and tr(P) derive the same address, the FROST custody address OP_1 <Q>', () => {
    const raw = deriveCustodyOutput({ scheme: 'frost', outputKey: Q }, 'litecoin-regtest');
    const tr = deriveCustodyOutput({ scheme: 'frost', internalKey: P }, 'litecoin-regtest');
    expect(raw.scriptPubKey).toBe(`5120${Q}`);
    expect(tr.scriptPubKey).toBe(raw.scriptPubKey);
    expect(raw.address).toBe(tr.address);
    expect(raw.address.startsWith('rltc1p')).toBe(true);
    expect(raw.descriptor.startsWith(`rawtr(${Q})#`)).toBe(true);
  });

  it('tr(Q) would tweak Q a second time: another address nobody can spend (the mistake it blocks)', () => {
    const wrong = deriveCustodyOutput({ scheme: 'frost', internalKey: Q }, 'litecoin-regtest');
    expect(wrong.scriptPubKey).not.toBe(`5120${Q}`);
  });
});

describe('the same scripts as src/custody/multisig/keys.ts', () => {
  it('wsh(sortedmulti) gives the custody witness script, scriptPubKey and descriptor', () => {
    const ours = deriveCustodyOutput(
      { scheme: 'multisig-p2wsh', threshold: 2, publicKeys: [...keys].reverse() },
      'litecoin-regtest',
    );
    const custody = buildP2wshSortedMulti(2, keys);
    expect(ours.witnessScript).toBe(strip(custody.witnessScript));
    expect(ours.scriptPubKey).toBe(strip(custody.scriptPubKey));
    expect(ours.descriptor).toBe(custody.descriptor);
  });

  it('tr(NUMS,multi_a) gives the custody leaf, control block, scriptPubKey and descriptor', () => {
    expect(NUMS_INTERNAL_KEY).toBe(strip(CUSTODY_NUMS));
    for (const m of [1, 2, 3]) {
      const ours = deriveCustodyOutput(
        { scheme: 'multisig-tapscript', threshold: m, publicKeys: keys },
        'litecoin-regtest',
      );
      const custody = buildTapscriptMultiA(m, keys);
      expect(ours.leafScript).toBe(strip(custody.leafScript));
      expect(ours.controlBlock).toBe(strip(custody.controlBlock));
      expect(ours.scriptPubKey).toBe(strip(custody.scriptPubKey));
      expect(ours.descriptor).toBe(custody.descriptor);
    }
  });

  it('multi_a thresholds above 16 are a number push, not an opcode (BIP387)', () => {
    const many = Array.from({ length: 17 }, () => generateMultisigKey().publicKey);
    const ours = deriveCustodyOutput(
      { scheme: 'multisig-tapscript', threshold: 17, publicKeys: many },
      'bitcoin',
    );
    expect(ours.leafScript!.endsWith('01119c')).toBe(true); // push(0x11) OP_NUMEQUAL
    expect(ours.scriptPubKey).toBe(strip(buildTapscriptMultiA(17, many).scriptPubKey));
  });

  it('uses the address format of the network', () => {
    const spec: CustodySpec = { scheme: 'multisig-p2wsh', threshold: 2, publicKeys: keys };
    expect(deriveCustodyOutput(spec, 'bitcoin').address).toMatch(/^bc1q/);
    expect(deriveCustodyOutput(spec, 'regtest').address).toMatch(/^bcrt1q/);
    expect(deriveCustodyOutput(spec, 'litecoin-regtest').address).toMatch(/^rltc1q/);
    const a = deriveCustodyOutput(spec, 'litecoin-regtest').address;
    const net = settlementNetwork('litecoin-regtest').bitcoinjs;
    expect(Buffer.from(btcAddress.toOutputScript(a, net)).toString('hex')).toBe(
      deriveCustodyOutput(spec, 'litecoin-regtest').scriptPubKey,
    );
  });
});

describe('refused inputs', () => {
  it('a key that is not on the curve', () => {
    expect(() => custodyDescriptor({ scheme: 'frost', outputKey: 'ff'.repeat(32) })).toThrow(
      /outputKey: not a point/,
    );
  });
  it('an uncompressed or x-only key in wsh(sortedmulti)', () => {
    expect(() =>
      custodyDescriptor({
        scheme: 'multisig-p2wsh',
        threshold: 1,
        publicKeys: [NUMS_INTERNAL_KEY],
      }),
    ).toThrow(/publicKeys\[0\]: expected 33 bytes/);
  });
  it('a threshold above the key count, or zero', () => {
    for (const threshold of [0, 4, 1.5]) {
      expect(() =>
        custodyDescriptor({ scheme: 'multisig-p2wsh', threshold, publicKeys: keys }),
      ).toThrow(/threshold/);
    }
  });
  it('the same key twice, also as the same x coordinate with the other parity', () => {
    expect(() =>
      custodyDescriptor({
        scheme: 'multisig-p2wsh',
        threshold: 1,
        publicKeys: [keys[0]!, keys[0]!],
      }),
    ).toThrow(/twice/);
    const x = strip(keys[0]!).slice(2);
    expect(() =>
      custodyDescriptor({
        scheme: 'multisig-tapscript',
        threshold: 1,
        publicKeys: [`02${x}`, `03${x}`],
      }),
    ).toThrow(/twice/);
  });
});

describe('against litecoind 0.21', () => {
  let node: Litecoind;
  beforeAll(async () => {
    node = await startLitecoind({ fundWallet: false });
  });
  afterAll(() => node?.stop());

  it('getdescriptorinfo accepts our wsh(sortedmulti) with the same checksum; deriveaddresses equals our address', async () => {
    const ours = deriveCustodyOutput(
      { scheme: 'multisig-p2wsh', threshold: 2, publicKeys: keys },
      'litecoin-regtest',
    );
    const [body, checksum] = ours.descriptor.split('#');
    const info = await node.rpc<{ descriptor: string; checksum: string; isrange: boolean }>(
      'getdescriptorinfo',
      [body],
    );
    expect(info.checksum).toBe(checksum);
    expect(info.descriptor).toBe(ours.descriptor);
    expect(info.isrange).toBe(false);
    expect(await node.rpc('deriveaddresses', [ours.descriptor])).toEqual([ours.address]);
  });

  it('accepts the addr() form of every custody type and derives the same address', async () => {
    for (const spec of [
      { scheme: 'frost', outputKey: strip(outputKeyXOnly(runFullDkg(2, 3).results[0]!.groupKey)) },
      { scheme: 'multisig-tapscript', threshold: 2, publicKeys: keys },
    ] as CustodySpec[]) {
      const ours = deriveCustodyOutput(spec, 'litecoin-regtest');
      const info = await node.rpc<{ descriptor: string }>('getdescriptorinfo', [
        ours.addrDescriptor.split('#')[0],
      ]);
      expect(info.descriptor).toBe(ours.addrDescriptor);
      expect(await node.rpc('deriveaddresses', [ours.addrDescriptor])).toEqual([ours.address]);
      const decoded = await node.rpc<{ scriptPubKey: string; iswitness: boolean }>(
        'validateaddress',
        [ours.address],
      );
      expect(decoded.scriptPubKey).toBe(ours.scriptPubKey);
    }
  });

  it('does not know tr() or rawtr() (why the tr() forms are checked against the BIP vectors)', async () => {
    const tr = custodyDescriptor({ scheme: 'multisig-tapscript', threshold: 2, publicKeys: keys });
    const rawtr = custodyDescriptor({ scheme: 'frost', outputKey: NUMS_INTERNAL_KEY });
    for (const d of [tr, rawtr]) {
      await expect(node.rpc('getdescriptorinfo', [d])).rejects.toThrow(/getdescriptorinfo/);
    }
  });
});
