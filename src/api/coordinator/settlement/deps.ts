/** What the settlement pipeline runs on: the coordinator's database, custody, backend, policy. */
import type { BitcoinBackend, ChainOutput } from '../../../settlement/backend/types.ts';
import type { SettlementPolicy } from '../../../settlement/build.ts';
import type { CustodyType } from '../../../settlement/custody-types/types.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Db } from '../../../store/store.ts';
import type { ApprovalPolicy } from '../approvals/policy.ts';
import type { Custody } from '../custody.ts';

export interface SettlementDeps {
  db: Db;
  backend: BitcoinBackend;
  custody: Custody;
  type: CustodyType;
  policy: SettlementPolicy;
  chainId: bigint;
  /** Confirmations after which a settlement is final (CONFIRMATIONS). */
  confirmations: number;
  /** Blocks a broadcast settlement may wait in the mempool before it is bumped. */
  bumpAfterBlocks: number;
  incrementalRelayFeeSatPerVb: number;
  /** Offline backend: the custody outputs the operator registered (it has no chain view). */
  registeredOutputs?: () => Promise<ChainOutput[]>;
  /** The access list kept for an executed batch (access-lists.ts), sent to the signers. */
  accessListOf?: (batchNumber: number) => unknown;
  /** Who approves a proposal when no approvals policy is given (`custody settle`). */
  approver: string;
  /** The approvals policy (`custody start`; `custody settle` with approvers configured). */
  approvals?: ApprovalPolicy;
  log: Logger;
  /** Called after each persisted transition; fault-injection tests stop the process here. */
  afterTransition?: (settlementId: string, status: string) => Promise<void> | void;
}

export const IN_FLIGHT = ['proposed', 'approved', 'signing', 'signed', 'broadcast'] as const;
export type SettlementStatus =
  | (typeof IN_FLIGHT)[number]
  | 'confirmed'
  | 'exported'
  | 'held'
  | 'failed';
