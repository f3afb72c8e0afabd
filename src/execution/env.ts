/**
 * The batch's block environment as ethereumjs objects, shared by every executor so that the
 * sequential reference and the parallel workers run under exactly the same header.
 */
import { type Block, createBlock } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm';
import { Address } from '@ethereumjs/util';
import type { BatchEnv } from './types.ts';

export function makeBlock(env: BatchEnv, common: Common): Block {
  return createBlock(
    {
      header: {
        coinbase: new Address(env.coinbase),
        number: env.number,
        timestamp: env.timestamp,
        gasLimit: env.gasLimit,
        baseFeePerGas: env.baseFee,
        mixHash: env.prevRandao,
        difficulty: 0n,
        excessBlobGas: 0n,
      },
    },
    { common, skipConsensusFormatValidation: true },
  );
}

/**
 * A batch carries no chain history, so BLOCKHASH needs a rule: we use the one of the Ethereum
 * state-test harness (geth `vmTestBlockHash`): keccak256 of the block number in decimal.
 * Deterministic, so every signer computes the same root.
 */
export function historyStub(keccak256: (b: Uint8Array) => Uint8Array): EVMMockBlockchainInterface {
  const chain: EVMMockBlockchainInterface = {
    getBlock: async (n: number) => {
      const hash = keccak256(new TextEncoder().encode(String(n)));
      return { hash: () => hash } as Awaited<ReturnType<EVMMockBlockchainInterface['getBlock']>>;
    },
    putBlock: async () => {},
    shallowCopy: () => chain,
  };
  return chain;
}
