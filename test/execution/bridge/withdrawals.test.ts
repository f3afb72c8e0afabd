import { bytesToHex } from '@ethereumjs/util';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchWithdrawals } from '../../../src/execution/bridge/batch-withdrawals.ts';
import { withdrawalsRoot } from '../../../src/execution/bridge/merkle.ts';
import {
  extractWithdrawals,
  type LogTuple,
  type ReceiptLike,
} from '../../../src/execution/bridge/withdrawals.ts';
import type { TxReceipt } from '../../../src/execution/types.ts';
import { InvalidInputError } from '../../../src/shared/errors.ts';
import { bridgeHarness, encodeWithdraw, WEI_PER_SAT } from './harness.ts';
import { standardScript } from './scripts.ts';

type Log = LogTuple;

describe('withdrawal extraction refuses what the bridge did not emit', () => {
  let receipts: ReceiptLike[];
  let realLog: Log;
  beforeAll(async () => {
    const bridge = await bridgeHarness('regtest');
    receipts = [];
    for (let i = 0; i < 3; i++) {
      const r = await bridge.send(encodeWithdraw(standardScript('p2tr')), 1_000n * WEI_PER_SAT);
      receipts.push(r.receipt as ReceiptLike);
    }
    realLog = receipts[0]!.logs[0]! as LogTuple;
  });

  it('ignores a forged Withdrawal event emitted by another contract', () => {
    const forger = new Uint8Array(20).fill(0x42);
    const forged: Log = [forger, realLog[1], realLog[2]];
    expect(extractWithdrawals([{ status: 1, logs: [forged] }])).toEqual([]);
  });

  it('ignores bridge logs of a failed transaction', () => {
    expect(extractWithdrawals([{ status: 0, logs: [realLog] }])).toEqual([]);
  });

  it('keeps receipt order and refuses a gap in indices (receipts of another batch mixed in)', () => {
    expect(extractWithdrawals(receipts).map((w) => w.index)).toEqual(['0x0', '0x1', '0x2']);
    expect(() => extractWithdrawals([receipts[0]!, receipts[2]!])).toThrow(
      /receipts\[1\]\.logs\[0\]: withdrawal index 0x2 does not follow 0x0/,
    );
  });

  it('refuses a bridge log with non-canonical ABI data (smuggled padding)', () => {
    const data = Uint8Array.from(realLog[2]);
    data[data.length - 1] = 1; // padding after the 34-byte script
    expect(() =>
      extractWithdrawals([{ status: 1, logs: [[realLog[0], realLog[1], data]] }]),
    ).toThrow(InvalidInputError);
    const truncated = realLog[2].subarray(0, realLog[2].length - 32);
    expect(() =>
      extractWithdrawals([{ status: 1, logs: [[realLog[0], realLog[1], truncated]] }]),
    ).toThrow(/ABI data length/);
  });

  it('decodes fields as 0x-hex', () => {
    const [w] = extractWithdrawals([receipts[0]!]);
    expect(w!.amountSats).toBe('0x3e8');
    expect(w!.scriptPubKey).toMatch(/^0x5120[0-9a-f]{64}$/);
    expect(bytesToHex(realLog[0])).toBe('0x4200000000000000000000000000000000000b7c');
  });
});

describe('receipts in the executor shape (src/execution/types.ts)', () => {
  it('gives the same withdrawals and root for object logs as for @ethereumjs tuples', async () => {
    const bridge = await bridgeHarness('signet');
    const vmReceipts: ReceiptLike[] = [];
    for (const t of ['p2pkh', 'p2wsh'] as const) {
      const r = await bridge.send(encodeWithdraw(standardScript(t)), 5_000n * WEI_PER_SAT);
      vmReceipts.push(r.receipt as ReceiptLike);
    }
    const executorReceipts: TxReceipt[] = vmReceipts.map((r) => ({
      txType: 2,
      status: r.status ?? 0,
      gasUsed: 0n,
      cumulativeGasUsed: 0n,
      logs: r.logs.map((l) => {
        const [address, topics, data] = l as readonly [Uint8Array, Uint8Array[], Uint8Array];
        return { address, topics, data };
      }),
    }));
    const fromVm = batchWithdrawals(vmReceipts);
    expect(fromVm.withdrawals).toHaveLength(2);
    expect(batchWithdrawals(executorReceipts)).toEqual(fromVm);
    expect(fromVm.withdrawalsRoot).toBe(withdrawalsRoot(fromVm.withdrawals));
  });
});
