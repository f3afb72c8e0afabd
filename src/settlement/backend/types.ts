/**
 * What the settlement pipeline needs from Bitcoin, behind one interface: a Bitcoin Core
 * JSON-RPC node (no node wallet is used) or the offline backend, which writes the signed
 * transaction and its PSBT to an outbox for an operator to broadcast.
 */
import type { NetworkName } from '../../shared/networks.ts';

export interface Outpoint {
  /** Transaction id as Bitcoin Core displays it (big-endian hex, no 0x). */
  txid: string;
  vout: number;
}

export interface ChainOutput extends Outpoint {
  valueSats: bigint;
  /** Hex, no 0x. */
  scriptPubKey: string;
  /** 0 while in the mempool. */
  confirmations: number;
}

export interface TxStatus {
  /** 'confirmed' in the active chain, 'mempool', or 'unknown' (never seen, or left the chain). */
  state: 'confirmed' | 'mempool' | 'unknown';
  confirmations: number;
  /** The block that holds it, when confirmed. */
  blockHash?: string;
  blockHeight?: number;
}

export interface BroadcastResult {
  txid: string;
  /** Where the transaction went: the node's mempool, or the outbox file paths. */
  accepted: 'mempool' | 'already-known' | 'exported';
  exported?: { txPath: string; psbtPath: string };
}

export interface BitcoinBackend {
  readonly kind: 'bitcoin-core' | 'offline';
  readonly network: NetworkName;
  /** Height of the best block (offline: -1, it has no chain view). */
  tipHeight(): Promise<number>;
  /** Fee rate in sat/vB for confirmation within `targetBlocks`; null when the node cannot estimate. */
  estimateFeeRate(targetBlocks: number): Promise<number | null>;
  /**
   * Unspent outputs paying exactly this scriptPubKey (confirmed ones; from the UTXO set), sorted
   * by outpoint. An output a mempool transaction spends is still listed: check it with
   * `getUnspent`. Offline: throws NoChainViewError (it has no chain view to list).
   */
  listUnspent(scriptPubKeyHex: string): Promise<ChainOutput[]>;
  /**
   * One output if it is unspent (mempool spends count as spent; an output of a mempool
   * transaction has 0 confirmations), else null. Offline: throws NoChainViewError.
   */
  getUnspent(outpoint: Outpoint): Promise<ChainOutput | null>;
  /**
   * Broadcast a fully signed transaction; `psbtBase64` goes to the outbox when offline, as
   * `<name>.tx.hex` and `<name>.psbt`. A transaction the node already holds (mempool, or a
   * block while one of its outputs is unspent) is 'already-known'; a refusal throws
   * TransactionRejectedError carrying the node's reason.
   */
  broadcast(rawTxHex: string, psbtBase64: string, name: string): Promise<BroadcastResult>;
  /**
   * Where a transaction we broadcast stands. `knownBlockHash` is the block we last saw it in
   * (no -txindex is assumed: Bitcoin Core finds a confirmed transaction by its block; without
   * it, an unspent output 0 still locates it). Offline: throws NoChainViewError.
   */
  txStatus(txid: string, knownBlockHash?: string): Promise<TxStatus>;
}
