import { describe, expect, it } from 'vitest';
import { tapTweakPublicKey, tapTweakSecretKey } from '../../src/custody/taproot.ts';
import { readFixtureJson } from './fixtures.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Bip341 {
  scriptPubKey: {
    given: { internalPubkey: string };
    intermediary: { merkleRoot: string | null; tweakedPubkey: string };
  }[];
  keyPathSpending: {
    inputSpending: {
      given: { internalPrivkey: string; merkleRoot: string | null };
      intermediary: { tweakedPrivkey: string };
    }[];
  }[];
}

const v = readFixtureJson<Bip341>('bips/bip341-wallet-test-vectors.json');

describe('BIP341 tweaks against the wallet vectors', () => {
  it.each(v.scriptPubKey.map((s, i) => [i, s] as const))(
    'scriptPubKey vector %i: output key',
    (_i, s) => {
      const root =
        s.intermediary.merkleRoot === null ? undefined : bytes(s.intermediary.merkleRoot);
      expect(hex(tapTweakPublicKey(bytes(s.given.internalPubkey), root).outputKey)).toBe(
        s.intermediary.tweakedPubkey,
      );
    },
  );

  it.each(v.keyPathSpending[0]!.inputSpending.map((s, i) => [i, s] as const))(
    'keyPathSpending vector %i: tweaked secret key',
    (_i, s) => {
      const root = s.given.merkleRoot === null ? undefined : bytes(s.given.merkleRoot);
      expect(hex(tapTweakSecretKey(bytes(s.given.internalPrivkey), root))).toBe(
        s.intermediary.tweakedPrivkey,
      );
    },
  );
});
