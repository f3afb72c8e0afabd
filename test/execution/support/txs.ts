/**
 * Test helpers: keys from crypto.getRandomValues, signed transactions of each accepted type,
 * and a batch builder. Nothing here shortcuts execution; it only produces inputs.
 */
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx';
import { createAddressFromString, privateToAddress } from '@ethereumjs/util';
import { bytesToHex, toQuantity } from '../../../src/shared/hex.ts';

export const CHAIN_ID = 4242n;
export const COINBASE = '0x00000000000000000000000000000000c0ffee01';

export function commonFor(chainId: bigint = CHAIN_ID): Common {
  return new Common({ chain: { ...Mainnet, chainId: Number(chainId) }, hardfork: Hardfork.Cancun });
}

export interface Key {
  priv: Uint8Array;
  address: string;
}

export function newKey(): Key {
  const priv = crypto.getRandomValues(new Uint8Array(32));
  return { priv, address: bytesToHex(privateToAddress(priv)) };
}

export interface TxSpec {
  type?: 0 | 1 | 2;
  nonce: bigint;
  to?: string;
  value?: bigint;
  data?: Uint8Array;
  gasLimit?: bigint;
  maxFee?: bigint;
  tip?: bigint;
  /** legacy only: sign without EIP-155 replay protection */
  unprotected?: boolean;
  chainId?: bigint;
}

export function signTx(key: Key, spec: TxSpec): string {
  const common = commonFor(spec.chainId ?? CHAIN_ID);
  const base = {
    nonce: spec.nonce,
    to: spec.to === undefined ? undefined : createAddressFromString(spec.to),
    value: spec.value ?? 0n,
    data: spec.data ?? new Uint8Array(0),
    gasLimit: spec.gasLimit ?? 100_000n,
  };
  const type = spec.type ?? 2;
  if (type === 2) {
    const tx = createFeeMarket1559Tx(
      { ...base, maxFeePerGas: spec.maxFee ?? 20n, maxPriorityFeePerGas: spec.tip ?? 2n },
      { common },
    );
    return bytesToHex(tx.sign(key.priv).serialize());
  }
  if (type === 1) {
    const tx = createAccessList2930Tx({ ...base, gasPrice: spec.maxFee ?? 20n }, { common });
    return bytesToHex(tx.sign(key.priv).serialize());
  }
  const legacyCommon =
    spec.unprotected === true
      ? new Common({ chain: Mainnet, hardfork: Hardfork.TangerineWhistle })
      : common;
  const tx = createLegacyTx({ ...base, gasPrice: spec.maxFee ?? 20n }, { common: legacyCommon });
  return bytesToHex(tx.sign(key.priv).serialize());
}

export interface BatchSpec {
  pre: Record<
    string,
    { balance?: bigint; nonce?: bigint; code?: string; storage?: Record<string, string> }
  >;
  txs: string[];
  gasLimit?: bigint;
  baseFee?: bigint;
  chainId?: bigint;
  coinbase?: string;
}

/** A batch file object exactly as a sequencer would write it. */
export function batchFile(spec: BatchSpec): Record<string, unknown> {
  const pre: Record<string, unknown> = {};
  for (const [addr, a] of Object.entries(spec.pre)) {
    pre[addr] = {
      balance: toQuantity(a.balance ?? 0n),
      nonce: toQuantity(a.nonce ?? 0n),
      code: a.code ?? '0x',
      storage: a.storage ?? {},
    };
  }
  return {
    fork: 'cancun',
    env: {
      coinbase: spec.coinbase ?? COINBASE,
      number: '0x10',
      timestamp: '0x6553f100',
      gasLimit: toQuantity(spec.gasLimit ?? 30_000_000n),
      baseFee: toQuantity(spec.baseFee ?? 7n),
      prevRandao: `0x${'ab'.repeat(32)}`,
      chainId: toQuantity(spec.chainId ?? CHAIN_ID),
    },
    pre,
    txs: spec.txs,
  };
}
