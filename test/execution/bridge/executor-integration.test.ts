/**
 * The bridge through the real executors: a batch file (DESIGN.md format) whose `pre` holds the
 * predeploy from bridgeAlloc, run by runSequential and runParallel; both must yield the same
 * withdrawals and root, and only the withdrawals the contract accepted.
 */
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { Address, bytesToHex, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBatch } from '../../../src/execution/batch.ts';
import { bridgeAlloc } from '../../../src/execution/bridge/alloc.ts';
import { BRIDGE_ADDRESS } from '../../../src/execution/bridge/artifact.ts';
import { batchWithdrawals } from '../../../src/execution/bridge/batch-withdrawals.ts';
import { withdrawalsRoot } from '../../../src/execution/bridge/merkle.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { encodeWithdraw, WEI_PER_SAT } from './harness.ts';
import { standardScript } from './scripts.ts';

const CHAIN_ID = 4242;

afterAll(async () => {
  await closeWorkerPool();
});

function batchFile() {
  const common = createCustomCommon({ chainId: CHAIN_ID }, Mainnet, { hardfork: 'cancun' });
  const keys = [0, 1].map(() => crypto.getRandomValues(new Uint8Array(32)));
  const senders = keys.map((k) => createAddressFromPrivateKey(k).toString());
  const nonces = [0n, 0n];
  const scripts = [standardScript('p2wpkh'), standardScript('p2tr'), standardScript('p2pkh')];
  const sign = (who: number, data: Uint8Array, sats: bigint) =>
    bytesToHex(
      createFeeMarket1559Tx(
        {
          chainId: BigInt(CHAIN_ID),
          nonce: nonces[who]!++,
          to: new Address(hexToBytes(BRIDGE_ADDRESS)),
          value: sats * WEI_PER_SAT,
          data,
          gasLimit: 100_000n,
          maxFeePerGas: 10n,
          maxPriorityFeePerGas: 1n,
        },
        { common },
      )
        .sign(keys[who]!)
        .serialize(),
    );
  const txs = [
    sign(0, encodeWithdraw(scripts[0]!), 2_940n), // litecoin-regtest P2WPKH dust: accepted
    sign(1, encodeWithdraw(scripts[1]!), 3_299n), // one sat under P2TR dust: reverts
    sign(1, encodeWithdraw(scripts[1]!), 3_300n),
    sign(0, encodeWithdraw(scripts[2]!), 100_000n),
  ];
  const funded = { balance: `0x${(10n ** 24n).toString(16)}` };
  return {
    scripts,
    json: {
      fork: 'cancun',
      env: {
        coinbase: '0x00000000000000000000000000000000000c0ffe',
        number: '0x1',
        timestamp: '0x10',
        gasLimit: '0x1c9c380',
        baseFee: '0x7',
        prevRandao: `0x${'00'.repeat(32)}`,
        chainId: `0x${CHAIN_ID.toString(16)}`,
      },
      pre: { ...bridgeAlloc('litecoin-regtest'), [senders[0]!]: funded, [senders[1]!]: funded },
      txs,
    },
  };
}

describe('withdrawals through runSequential and runParallel', () => {
  it('lists the accepted withdrawals in order, identically for both executors', async () => {
    const { json, scripts } = batchFile();
    const batch = parseBatch(json);
    const sequential = await runSequential(batch);
    expect(sequential.receipts.map((r) => r.status)).toEqual([1, 0, 1, 1]);
    const fromSequential = batchWithdrawals(sequential.receipts);
    expect(fromSequential.withdrawals).toEqual([
      { index: '0x0', scriptPubKey: bytesToHex(scripts[0]!), amountSats: '0xb7c' },
      { index: '0x1', scriptPubKey: bytesToHex(scripts[1]!), amountSats: '0xce4' },
      { index: '0x2', scriptPubKey: bytesToHex(scripts[2]!), amountSats: '0x186a0' },
    ]);
    expect(fromSequential.withdrawalsRoot).toBe(withdrawalsRoot(fromSequential.withdrawals));

    for (const workers of [1, 2]) {
      const parallel = await runParallel(batch, { workers });
      expect(bytesToHex(parallel.stateRoot)).toBe(bytesToHex(sequential.stateRoot));
      expect(batchWithdrawals(parallel.receipts)).toEqual(fromSequential);
    }
  });
});
