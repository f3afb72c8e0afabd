/** What the page knows, refreshed by polling the REST routes (main.ts). */
import type { Session, SignInInfo } from './session.ts';
import type {
  Batch,
  Custody,
  DecodedTransaction,
  Pending,
  Settlement,
  SignerStatus,
} from './types.ts';
import type { Wallet } from './wallet.ts';

export interface Review {
  settlementId: string;
  decision: 'approve' | 'reject';
  reason: string;
}

export interface State {
  info?: SignInInfo;
  session?: Session;
  wallet?: Wallet;
  pending: Pending[];
  /** Every settlement the page has read, by id (pending ones with their full view). */
  settlements: Map<string, Settlement>;
  history: Settlement[];
  batches: Map<string, Batch>;
  batchList: Batch[];
  custody?: Custody;
  /** What each signer says of itself: reachable, its key, its own rollup's head. */
  signers: SignerStatus[];
  /** Transactions decoded by the coordinator from their raw bytes, read when first opened. */
  decoded: Map<string, DecodedTransaction | string>;
  custodyError?: string;
  review?: Review;
  busy: boolean;
  error?: string;
  notice?: string;
  updatedAt?: Date;
}

export function emptyState(): State {
  return {
    pending: [],
    settlements: new Map(),
    history: [],
    batches: new Map(),
    batchList: [],
    signers: [],
    decoded: new Map(),
    busy: false,
  };
}
