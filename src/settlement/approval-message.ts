/**
 * What an approver approves: the custody outputs a settlement spends, the withdrawals it pays
 * and the commitment it makes. Not the sighash and not the change: a fee bump (BIP125, same
 * inputs, payouts and commitment, only the change smaller) keeps every approval valid, while
 * any change of what leaves the custody or what is committed needs new approvals.
 *
 * Read from the unsigned transaction, whose layout build.ts fixes: output 0 the change, output
 * 1 the commitment, outputs 2.. the withdrawals in queue order.
 */
import type { Transaction } from 'bitcoinjs-lib';
import { InvalidInputError } from '../shared/errors.ts';
import { bytesToHex } from '../shared/hex.ts';
import { commitmentFromScript, encodeCommitment } from './commitment.ts';

export interface ApprovalMessage {
  /** Custody outputs spent, in input order: txid (display order, 0x-hex) and vout. */
  inputs: { txid: string; vout: number }[];
  /** Withdrawals paid, in output order. */
  payouts: { scriptPubKey: string; valueSats: bigint }[];
  /** The 64-byte commitment payload, 0x-hex. */
  commitment: string;
}

export function approvalMessage(tx: Transaction): ApprovalMessage {
  const commitmentOut = tx.outs[1];
  if (tx.outs.length < 2 || commitmentOut === undefined) {
    throw new InvalidInputError('settlement: expected a change and a commitment output', {
      field: 'settlement',
    });
  }
  const commitment = commitmentFromScript(commitmentOut.script);
  return {
    inputs: tx.ins.map((i) => ({
      txid: `0x${Buffer.from(i.hash).reverse().toString('hex')}`,
      vout: i.index,
    })),
    payouts: tx.outs.slice(2).map((o) => ({
      scriptPubKey: bytesToHex(o.script),
      valueSats: BigInt(o.value),
    })),
    commitment: bytesToHex(encodeCommitment(commitment)),
  };
}
