/**
 * The compiled bridge, as committed by scripts/build-bridge.ts (a test recompiles Bridge.sol
 * and requires the same bytes). Runtime code only: a predeploy is placed, never constructed.
 */
import artifact from './artifact.json' with { type: 'json' };

export const BRIDGE_ADDRESS = '0x4200000000000000000000000000000000000b7c';
export const BRIDGE_RUNTIME_CODE: string = artifact.deployedBytecode;
export const BRIDGE_ABI: readonly unknown[] = artifact.abi;
export const BRIDGE_SOURCE_SHA256: string = artifact.sourceSha256;
export const BRIDGE_COMPILER_VERSION: string = artifact.compiler.version;

/** Storage layout the genesis alloc relies on (asserted against the compiler's layout). */
export const NEXT_WITHDRAWAL_INDEX_SLOT = 0n;
export const DUST_LIMITS_FIRST_SLOT = 1n;
