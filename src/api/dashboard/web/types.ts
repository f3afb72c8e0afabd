/** The REST answers the page reads (see /openapi.json for the full schemas). */
import type { TypedDataJson } from './wallet.ts';

export interface Withdrawal {
  index: string;
  scriptPubKey: string;
  address: string | null;
  amountSats: string;
}

export interface Batch {
  id: string;
  number: number | null;
  status: string;
  reason: string | null;
  txCount: number;
  stateRoot: string | null;
  gasUsed: string | null;
  withdrawals: Withdrawal[];
  executionMs: number | null;
  sequentialEstimateMs: number | null;
  settlementId: string | null;
  createdAt: string;
}

export interface Output {
  txid: string;
  vout: number;
  valueSats: string;
}

export interface Payout {
  scriptPubKey: string;
  address: string | null;
  valueSats: string;
}

export interface SignerReport {
  signer: string;
  outcome: 'signed' | 'did-not-sign' | 'bad-share' | 'not-asked';
  detail: string | null;
}

export interface Settlement {
  id: string;
  status: string;
  reason: string | null;
  batchIds: string[];
  batchNumber: number | null;
  inputs: Output[];
  payouts: Payout[];
  change: Payout | null;
  commitment: string | null;
  feeSats: string | null;
  feeRate: string | null;
  txid: string | null;
  rawTx: string | null;
  confirmations: number;
  blockHash: string | null;
  blockHeight: number | null;
  signing: { sessionId: string; status: string; reason: string | null; reports: SignerReport[] }[];
  broadcastAt: string | null;
  confirmedAt: string | null;
  resolvedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Tally {
  required: { treasurers: number; institutions: number };
  approvedBy: { treasurers: string[]; institutions: string[] };
  rejectedBy: { who: string; role: string; reason: string | null }[];
  overLimit: string[];
  satisfied: boolean;
  blocked: string | null;
}

export interface Pending {
  settlementId: string;
  status: string;
  tally: Tally;
  approvals: {
    approver: string;
    role: string;
    decision: string;
    reason: string | null;
    createdAt: string;
  }[];
  typedData: { approve: TypedDataJson | null; reject: TypedDataJson | null };
  development: boolean;
}

export interface Custody {
  scheme: string;
  address: string;
  descriptor: string;
  threshold: number;
  signers: string[];
  utxos: (Output & { confirmations: number })[];
  balanceSats: string;
  reserves: {
    custodySats?: string;
    liabilitiesSats?: string;
    pendingWithdrawals?: number;
    surplusSats?: string;
    covered?: boolean;
  };
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** GET /v1/signers: each signer's own signed answer about itself. */
export interface SignerStatus {
  name: string;
  identityKey: string;
  reachable: boolean;
  holdsKey: boolean;
  rollupBatchNumber: number | null;
  rollupStateRoot: string | null;
  error: string | null;
}

/** GET /v1/settlements/{id}/transaction: decoded from the raw bytes. */
export interface DecodedTransaction {
  txid: string;
  hex: string;
  version: number;
  locktime: number;
  sizeBytes: number;
  vsizeVbytes: number;
  weightWu: number;
  inputs: { txid: string; vout: number; sequence: number; witnessItems: number }[];
  outputs: {
    n: number;
    valueSats: string;
    scriptPubKey: string;
    type: string;
    address: string | null;
  }[];
}
