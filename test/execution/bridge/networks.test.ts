import { describe, expect, it } from 'vitest';
import { bridgeAlloc, withBridgePredeploy } from '../../../src/execution/bridge/alloc.ts';
import { BRIDGE_ADDRESS, BRIDGE_RUNTIME_CODE } from '../../../src/execution/bridge/artifact.ts';
import { InvalidInputError } from '../../../src/shared/errors.ts';
import { dustProfile, type NetworkName } from '../../../src/shared/networks.ts';

// Bitcoin Core's documented values at the default 3,000 sat/kvB (policy.cpp comments: 546 for
// a P2PKH output, 294 for P2WPKH); Litecoin Core 0.21's dust relay fee is 10x (DESIGN.md: 2,940).
const EXPECTED: Record<NetworkName, [number, number, number, number, number]> = {
  bitcoin: [546, 540, 294, 330, 330],
  testnet: [546, 540, 294, 330, 330],
  signet: [546, 540, 294, 330, 330],
  regtest: [546, 540, 294, 330, 330],
  'litecoin-regtest': [5460, 5400, 2940, 3300, 3300],
};

describe('dust profiles', () => {
  it.each(Object.entries(EXPECTED))('%s matches the node policy', (network, limits) => {
    const profile = dustProfile(network as NetworkName);
    expect(Object.values(profile.dustLimitSats).map(Number)).toEqual(limits);
  });

  it('refuses an unknown network instead of guessing its dust', () => {
    expect(() => dustProfile('mainnet' as NetworkName)).toThrow(InvalidInputError);
    expect(() => bridgeAlloc('litecoin' as NetworkName)).toThrow(/network/);
  });

  it('bridgeAlloc places the runtime code and the dust words', () => {
    const entry = bridgeAlloc('litecoin-regtest')[BRIDGE_ADDRESS]!;
    expect(entry.code).toBe(BRIDGE_RUNTIME_CODE);
    expect(entry.balance).toBe('0x0');
    const slot3 = `0x${'3'.padStart(64, '0')}`;
    expect(BigInt(entry.storage![slot3]!)).toBe(2940n);
    expect(Object.keys(entry.storage!)).toHaveLength(5);
  });
});

describe('withBridgePredeploy', () => {
  it('adds the bridge to a genesis alloc', () => {
    const alloc = withBridgePredeploy(
      { '0x00000000000000000000000000000000000000aa': { balance: '0x1' } },
      'regtest',
    );
    expect(Object.keys(alloc)).toEqual([
      '0x00000000000000000000000000000000000000aa',
      BRIDGE_ADDRESS,
    ]);
  });

  it('refuses a genesis that already squats the bridge address (any spelling)', () => {
    const squatter = {
      '4200000000000000000000000000000000000B7C': { balance: '0x0', code: '0x00' },
    };
    expect(() => withBridgePredeploy(squatter, 'bitcoin')).toThrow(/reserved for the bridge/);
  });
});
