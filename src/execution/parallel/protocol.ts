/** Messages between the coordinator (runParallel) and its workers. */

import type { AccessList } from '../accessList.ts';
import type { TxOutcome } from '../txrun.ts';
import type { BatchEnv, PreState } from '../types.ts';
import type { Value } from './keys.ts';

/** Where a batch's pre-state comes from: the batch file, or a root of the world state in `dir`. */
export type BatchState = { pre: PreState } | { world: { dir: string; root: string } };

export type ToWorker =
  | {
      t: 'batch';
      id: number;
      env: BatchEnv;
      state: BatchState;
      txs: Uint8Array[];
      /** verification mode: every transaction's writes are known up front (an access list) */
      known?: AccessList;
      /** defer balance credits (keys.ts); off for a re-run after a credit overflowed */
      credits: boolean;
    }
  | {
      t: 'update';
      tx: number;
      inc: number;
      writes: [string, Value][];
      codes: [string, Uint8Array][];
      fee: bigint;
    }
  | { t: 'estimate'; tx: number }
  /** `apply`: record the incarnation's own writes in this worker's replica right away (the
   *  coordinator sends that update only to the other workers) */
  | { t: 'exec'; tx: number; inc: number; apply?: boolean }
  /** several messages in one structured clone, handled in order */
  | { t: 'many'; msgs: ToWorker[] };

export interface Executed {
  t: 'done';
  tx: number;
  inc: number;
  /** set when the incarnation read an ESTIMATE of that transaction and stopped */
  blockedBy?: number;
  outcome?: TxOutcome;
  /** locations read, with the (writer, incarnation) pair each saw at 2i, 2i+1 (flat: cheap to clone) */
  reads?: {
    keys: string[];
    versions: Int32Array;
    feeSum?: bigint;
    feeNonZero?: boolean;
    /** balances summed through credits: location and its (writer, incarnation) chain */
    chains?: [string, number[]][];
  };
  writes?: [string, Value][];
  codes?: [string, Uint8Array][];
  fee?: bigint;
  /** how long the incarnation ran on its worker, in milliseconds */
  ms?: number;
}

export type FromWorker = { t: 'ready'; id: number } | Executed | { t: 'fatal'; message: string };
