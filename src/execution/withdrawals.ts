/**
 * Withdrawals are what the bridge predeploy logs in successful transactions. Decoding those
 * logs is the bridge module's business (src/execution/bridge); executors only call a decoder
 * with the logs the bridge address emitted, in batch order. Until a decoder is plugged in the
 * batch reports no withdrawals.
 */
import type { Log, TxReceipt, Withdrawal } from './types.ts';

/** DESIGN.md: the bridge predeploy. */
export const BRIDGE_ADDRESS = '0x4200000000000000000000000000000000000b7c';

/** Turns one bridge log into a withdrawal, or undefined for bridge logs that are not one. */
export type WithdrawalDecoder = (log: Log, txIndex: number) => Withdrawal | undefined;

const BRIDGE_BYTES = Buffer.from(BRIDGE_ADDRESS.slice(2), 'hex');

function isBridge(address: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(address), BRIDGE_BYTES) === 0;
}

export function extractWithdrawals(
  receipts: TxReceipt[],
  decoder: WithdrawalDecoder | undefined,
): Withdrawal[] {
  if (decoder === undefined) return [];
  const out: Withdrawal[] = [];
  receipts.forEach((receipt, txIndex) => {
    // A reverted transaction's logs are discarded by the EVM, so only status 1 can pay out.
    if (receipt.status !== 1) return;
    for (const log of receipt.logs) {
      if (!isBridge(log.address)) continue;
      const w = decoder(log, txIndex);
      if (w !== undefined) out.push(w);
    }
  });
  return out;
}
