/**
 * Dust thresholds per network and script type. The bridge refuses a withdrawal the settlement
 * could not pay: an output below the relay dust threshold makes the whole transaction
 * non-standard, so no node would relay it.
 */
import { InvalidInputError } from './errors.ts';

export const NETWORK_NAMES = [
  'bitcoin',
  'testnet',
  'signet',
  'regtest',
  'litecoin-regtest',
] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

/** In the order of the contract's `dustLimitSats` array (storage slots 1..5). */
export const SCRIPT_TYPES = ['p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr'] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

/** Serialized scriptPubKey length of each template (see contracts/Bridge.sol `classify`). */
export const SCRIPT_LENGTHS: Readonly<Record<ScriptType, number>> = {
  p2pkh: 25,
  p2sh: 23,
  p2wpkh: 22,
  p2wsh: 34,
  p2tr: 34,
};

const WITNESS_PROGRAM: Readonly<Record<ScriptType, boolean>> = {
  p2pkh: false,
  p2sh: false,
  p2wpkh: true,
  p2wsh: true,
  p2tr: true,
};

export interface DustProfile {
  network: NetworkName;
  /** -dustrelayfee, satoshis per 1,000 virtual bytes. */
  dustRelayFeeSatPerKvB: bigint;
  dustLimitSats: Readonly<Record<ScriptType, bigint>>;
}

/**
 * Bitcoin Core's DUST_RELAY_TX_FEE is 3,000 sat/kvB on every Bitcoin network. Litecoin Core
 * 0.21 keeps the code but sets 30,000 (10x), so its P2WPKH dust is 2,940 sats, not 294.
 */
const DUST_RELAY_FEE: Readonly<Record<NetworkName, bigint>> = {
  bitcoin: 3_000n,
  testnet: 3_000n,
  signet: 3_000n,
  regtest: 3_000n,
  'litecoin-regtest': 30_000n,
};

/**
 * Bitcoin Core policy.cpp GetDustThreshold:
 *   size_t nSize = GetSerializeSize(txout);
 *   if (txout.scriptPubKey.IsWitnessProgram(witnessversion, witnessprogram)) {
 *       nSize += (32 + 4 + 1 + (107 / WITNESS_SCALE_FACTOR) + 4);
 *   } else {
 *       nSize += (32 + 4 + 1 + 107 + 4); // the 148 mentioned above
 *   }
 *   return dustRelayFeeIn.GetFee(nSize);
 * and CFeeRate::GetFee(n) = nSatoshisPerK * n / 1000 (truncating).
 */
export function dustThresholdSats(scriptType: ScriptType, dustRelayFeeSatPerKvB: bigint): bigint {
  const scriptLength = SCRIPT_LENGTHS[scriptType];
  const txOutSize = 8 + 1 + scriptLength; // value, compact-size length (< 253), script
  const spendSize = WITNESS_PROGRAM[scriptType]
    ? 32 + 4 + 1 + Math.floor(107 / 4) + 4
    : 32 + 4 + 1 + 107 + 4;
  return (dustRelayFeeSatPerKvB * BigInt(txOutSize + spendSize)) / 1000n;
}

export function isNetworkName(value: unknown): value is NetworkName {
  return typeof value === 'string' && (NETWORK_NAMES as readonly string[]).includes(value);
}

export function dustProfile(network: NetworkName): DustProfile {
  if (!isNetworkName(network)) {
    throw new InvalidInputError(`network: expected one of ${NETWORK_NAMES.join(', ')}`, {
      field: 'network',
    });
  }
  const fee = DUST_RELAY_FEE[network];
  const limits = Object.fromEntries(SCRIPT_TYPES.map((t) => [t, dustThresholdSats(t, fee)]));
  return {
    network,
    dustRelayFeeSatPerKvB: fee,
    dustLimitSats: limits as Record<ScriptType, bigint>,
  };
}
