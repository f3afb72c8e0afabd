/**
 * Picks the Bitcoin backend: Bitcoin Core JSON-RPC when an RPC URL is configured
 * (`BITCOIN_RPC_URL`; `api` reads the environment and passes it here), else offline (signed
 * transactions and PSBTs go to the outbox).
 */
import { InvalidInputError } from '../../shared/errors.ts';
import { isNetworkName, NETWORK_NAMES, type NetworkName } from '../../shared/networks.ts';
import { BitcoinCoreBackend } from './bitcoin-core.ts';
import { OfflineBackend } from './offline.ts';
import type { BitcoinBackend } from './types.ts';

export interface OpenBackendOptions {
  network: NetworkName;
  /** BITCOIN_RPC_URL: `http(s)://user:password@host:port`; unset or empty means offline. */
  rpcUrl?: string;
  /** Where the offline backend writes; `$DATA_DIR/outbox` in the product. */
  outboxDir: string;
  /** Per-call RPC timeout. */
  timeoutMs?: number;
}

export function openBackend(opts: OpenBackendOptions): BitcoinBackend {
  if (!isNetworkName(opts.network)) {
    throw new InvalidInputError(`network: expected one of ${NETWORK_NAMES.join(', ')}`, {
      field: 'BITCOIN_NETWORK',
    });
  }
  if (opts.rpcUrl !== undefined && opts.rpcUrl !== '') {
    // The constructor checks the URL (http/https, credentials), naming BITCOIN_RPC_URL.
    return new BitcoinCoreBackend({
      network: opts.network,
      rpcUrl: opts.rpcUrl,
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });
  }
  return new OfflineBackend({ network: opts.network, outboxDir: opts.outboxDir });
}
