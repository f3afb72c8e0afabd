/** What the page knows, refreshed by polling the REST routes (main.ts). */
import type { NonceAnswer, Session } from './session.ts';
import type { Batch, Custody, Pending, Settlement } from './types.ts';
import type { Wallet } from './wallet.ts';

export interface Review {
  settlementId: string;
  decision: 'approve' | 'reject';
  reason: string;
}

export interface State {
  info?: NonceAnswer;
  session?: Session;
  wallet?: Wallet;
  pending: Pending[];
  /** Every settlement the page has read, by id (pending ones with their full view). */
  settlements: Map<string, Settlement>;
  history: Settlement[];
  batches: Map<string, Batch>;
  batchList: Batch[];
  custody?: Custody;
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
    busy: false,
  };
}
