/**
 * The bridge's genesis alloc entry. A predeploy has no constructor, so the values a constructor
 * would set (the network's dust limits) are written straight into its storage here.
 */
import { InvalidInputError } from '../../shared/errors.ts';
import { dustProfile, type NetworkName, SCRIPT_TYPES } from '../../shared/networks.ts';
import type { GenesisAlloc } from '../world-state/genesis.ts';
import { BRIDGE_ADDRESS, BRIDGE_RUNTIME_CODE, DUST_LIMITS_FIRST_SLOT } from './artifact.ts';

/** A storage key or value as geth writes it in a genesis: a 32-byte word, 0x-hex. */
function word(slot: bigint): string {
  return `0x${slot.toString(16).padStart(64, '0')}`;
}

/**
 * `{ [BRIDGE_ADDRESS]: { balance, nonce, code, storage } }`, ready to merge into a geth-style
 * genesis alloc. The withdrawal counter (slot 0) starts at zero, so it is not written.
 */
export function bridgeAlloc(network: NetworkName): GenesisAlloc {
  const profile = dustProfile(network);
  const storage: Record<string, string> = {};
  SCRIPT_TYPES.forEach((scriptType, i) => {
    storage[word(DUST_LIMITS_FIRST_SLOT + BigInt(i))] = word(profile.dustLimitSats[scriptType]);
  });
  return {
    [BRIDGE_ADDRESS]: { balance: '0x0', nonce: '0x1', code: BRIDGE_RUNTIME_CODE, storage },
  };
}

/**
 * `alloc` plus the bridge predeploy. An alloc that already places something at the bridge
 * address is refused: silently replacing it, or keeping it, would both hide a mistake.
 */
export function withBridgePredeploy(alloc: GenesisAlloc, network: NetworkName): GenesisAlloc {
  const taken = Object.keys(alloc).some(
    (key) => key.toLowerCase().replace(/^0x/, '') === BRIDGE_ADDRESS.slice(2),
  );
  if (taken) {
    throw new InvalidInputError(`alloc: ${BRIDGE_ADDRESS} is reserved for the bridge predeploy`, {
      field: 'alloc',
    });
  }
  return { ...alloc, ...bridgeAlloc(network) };
}
