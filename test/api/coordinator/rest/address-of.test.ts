/**
 * The settlement view's fast address encoding gives exactly what bitcoinjs's own decoder gives,
 * for every standard template on every network (and null where it has no address).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { address } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { addressOf } from '../../../../src/api/coordinator/rest/settlements.ts';
import { settlementNetwork } from '../../../../src/settlement/networks.ts';
import { NETWORK_NAMES } from '../../../../src/shared/networks.ts';

const rand = (n: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(n)));
const TEMPLATES: Record<string, () => Buffer> = {
  p2wpkh: () => Buffer.concat([Buffer.from([0x00, 0x14]), rand(20)]),
  p2wsh: () => Buffer.concat([Buffer.from([0x00, 0x20]), rand(32)]),
  // A key on the curve: bitcoinjs's decoder checks it (Bitcoin Core shows any 32-byte program).
  p2tr: () =>
    Buffer.concat([
      Buffer.from([0x51, 0x20]),
      Buffer.from(schnorr.getPublicKey(schnorr.utils.randomSecretKey())),
    ]),
  p2pkh: () =>
    Buffer.concat([Buffer.from([0x76, 0xa9, 0x14]), rand(20), Buffer.from([0x88, 0xac])]),
  p2sh: () => Buffer.concat([Buffer.from([0xa9, 0x14]), rand(20), Buffer.from([0x87])]),
  nulldata: () => Buffer.concat([Buffer.from([0x6a, 0x20]), rand(32)]),
  nonstandard: () => rand(7),
};

function reference(script: Buffer, network: ReturnType<typeof settlementNetwork>): string | null {
  try {
    return address.fromOutputScript(script, network.bitcoinjs);
  } catch {
    return null;
  }
}

describe('addressOf', () => {
  for (const name of NETWORK_NAMES) {
    it(`matches bitcoinjs's decoder on ${name}`, () => {
      const network = settlementNetwork(name);
      for (const [type, make] of Object.entries(TEMPLATES)) {
        for (let i = 0; i < 20; i++) {
          const script = make();
          expect(addressOf(script, network), type).toBe(reference(script, network));
          expect(addressOf(`0x${script.toString('hex')}`, network), type).toBe(
            reference(script, network),
          );
        }
      }
    });
  }

  it('shows a v1 program off the curve as Bitcoin Core does (bech32m), not as no address', () => {
    const network = settlementNetwork('bitcoin');
    const program = Buffer.alloc(32, 0xff);
    const shown = addressOf(Buffer.concat([Buffer.from([0x51, 0x20]), program]), network);
    expect(shown).toBe(address.toBech32(program, 1, 'bc'));
    expect(shown).toMatch(/^bc1p/);
  });
});
