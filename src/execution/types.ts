import type { AccessList } from './accessList.ts';
import type { Withdrawal } from './bridge/withdrawals.ts';

/**
 * The execution module's data shapes. A batch is decoded once at the boundary (batch.ts) into
 * these types; executors never see raw JSON.
 */

export interface BatchEnv {
  coinbase: Uint8Array; // 20 bytes
  number: bigint;
  timestamp: bigint;
  gasLimit: bigint;
  baseFee: bigint;
  prevRandao: Uint8Array; // 32 bytes
  chainId: bigint;
}

export interface PreAccount {
  balance: bigint;
  nonce: bigint;
  code: Uint8Array;
  /** slot (32 bytes, hex without 0x, left-padded) → value (non-zero bigint) */
  storage: Map<string, bigint>;
}

/** `pre` maps a lowercase 0x-address to its account, exactly as given in the batch file. */
export type PreState = Map<string, PreAccount>;

export interface Batch {
  fork: 'cancun';
  env: BatchEnv;
  /** The explicit pre-state; empty when the batch runs on `preStateRoot`. */
  pre: PreState;
  /**
   * 0x-hex root of a persisted state the executing node holds (its world state), used instead
   * of `pre`. Executors need a world state for such a batch (RunParallelOpts.worldState).
   */
  preStateRoot?: string;
  /** Signed transactions as raw bytes (typed envelope or legacy RLP). */
  txs: Uint8Array[];
}

export interface Log {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface TxReceipt {
  /** 0 legacy, 1 EIP-2930, 2 EIP-1559 */
  txType: number;
  status: 0 | 1;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  logs: Log[];
}

/** A queued payout, as the bridge predeploy logs it (see bridge/withdrawals.ts). */
export type { Withdrawal } from './bridge/withdrawals.ts';

export interface BatchResult {
  stateRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  gasUsed: bigint;
  txCount: number;
  receipts: TxReceipt[];
  logs: Log[];
  /** the bridge's withdrawals of this batch, in order */
  withdrawals: Withdrawal[];
  /** 0x-hex Merkle root of `withdrawals` (bridge/merkle.ts) */
  withdrawalsRoot: string;
  /** per-transaction reads and writes (produced by the parallel executor, see accessList.ts) */
  accessList?: AccessList;
  /** set when the run was asked to commit: the post-state is now the world state's head */
  committed?: { root: string; height: number };
  /** set by the parallel executor: how long the batch took, against one thread */
  timing?: BatchTiming;
}

/** Milliseconds, whole: the run's wall time and its sequential estimate (parallel/index.ts). */
export interface BatchTiming {
  executionMs: number;
  sequentialEstimateMs: number;
}
