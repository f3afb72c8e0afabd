/**
 * Runs the committed bridge bytecode in a real @ethereumjs/vm: a genesis with the bridge
 * predeploy for one network and a funded sender, and signed transactions calling it.
 */
import { createBlock } from '@ethereumjs/block';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { Address, bytesToHex, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { createVM, type RunTxResult, runTx, type VM } from '@ethereumjs/vm';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bridgeAlloc } from '../../../src/execution/bridge/alloc.ts';
import { BRIDGE_ADDRESS } from '../../../src/execution/bridge/artifact.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../src/execution/bridge/withdraw-call.ts';
import { applyGenesisAlloc } from '../../../src/execution/world-state/genesis.ts';
import type { NetworkName } from '../../../src/shared/networks.ts';

export { WEI_PER_SAT };

const CHAIN_ID = 4242n;

function selector(signature: string): Uint8Array {
  return keccak_256(new TextEncoder().encode(signature)).subarray(0, 4);
}

function word(n: bigint | number): Uint8Array {
  return hexToBytes(`0x${BigInt(n).toString(16).padStart(64, '0')}`);
}

export { encodeWithdraw };

/** The 4-byte selector of a custom error, to match revert data against. */
export function errorSelector(signature: string): string {
  return bytesToHex(selector(signature));
}

export interface BridgeHarness {
  vm: VM;
  sender: Address;
  send(data: Uint8Array, valueWei: bigint, to?: string): Promise<RunTxResult>;
  readSlot(slot: bigint): Promise<bigint>;
}

export async function bridgeHarness(network: NetworkName): Promise<BridgeHarness> {
  const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: 'cancun' });
  const key = crypto.getRandomValues(new Uint8Array(32));
  const sender = createAddressFromPrivateKey(key);
  const stateManager = new MerkleStateManager({ common });
  await applyGenesisAlloc(stateManager, {
    ...bridgeAlloc(network),
    [sender.toString()]: { balance: `0x${(10n ** 30n).toString(16)}` },
  });
  const vm = await createVM({ common, stateManager });
  const block = createBlock(
    { header: { number: 1n, gasLimit: 30_000_000n, baseFeePerGas: 7n, timestamp: 1n } },
    { common },
  );
  let nonce = 0n;
  return {
    vm,
    sender,
    async send(data, valueWei, to: string = BRIDGE_ADDRESS) {
      const tx = createFeeMarket1559Tx(
        {
          chainId: CHAIN_ID,
          nonce: nonce++,
          to: new Address(hexToBytes(to as `0x${string}`)),
          value: valueWei,
          data,
          gasLimit: 200_000n,
          maxFeePerGas: 10n,
          maxPriorityFeePerGas: 1n,
        },
        { common },
      ).sign(key);
      return runTx(vm, { tx, block, skipHardForkValidation: true });
    },
    async readSlot(slot) {
      const value = await vm.stateManager.getStorage(
        new Address(hexToBytes(BRIDGE_ADDRESS)),
        word(slot),
      );
      return value.length === 0 ? 0n : BigInt(bytesToHex(value));
    },
  };
}
