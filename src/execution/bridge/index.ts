/** The bridge predeploy: its code and genesis entry, withdrawal extraction and their root. */

export {
  type DustProfile,
  dustProfile,
  isNetworkName,
  NETWORK_NAMES,
  type NetworkName,
  SCRIPT_TYPES,
  type ScriptType,
} from '../../shared/networks.ts';
export { bridgeAlloc, withBridgePredeploy } from './alloc.ts';
export {
  BRIDGE_ABI,
  BRIDGE_ADDRESS,
  BRIDGE_COMPILER_VERSION,
  BRIDGE_RUNTIME_CODE,
  BRIDGE_SOURCE_SHA256,
} from './artifact.ts';
export { type BatchWithdrawals, batchWithdrawals } from './batch-withdrawals.ts';
export { withdrawalsRoot, withdrawalsRootBytes } from './merkle.ts';
export {
  decodeWithdrawalLog,
  extractWithdrawals,
  type LogLike,
  type ReceiptLike,
  WITHDRAWAL_EVENT_TOPIC,
  type Withdrawal,
} from './withdrawals.ts';
