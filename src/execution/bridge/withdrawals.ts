/**
 * Withdrawals out of a batch's receipts: the bridge's `Withdrawal` events of successful
 * transactions, in transaction order then log order. A reverted transaction's logs are
 * discarded by the EVM already; the status check guards receipts built some other way.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { bytesToHex } from '../../shared/hex.ts';
import { BRIDGE_ADDRESS } from './artifact.ts';

/** One queued payout; `index` is the bridge's global, gap-free withdrawal counter. */
export interface Withdrawal {
  /** 0x-hex quantity. */
  index: string;
  /** 0x-hex bytes: the Bitcoin output script to pay. */
  scriptPubKey: string;
  /** 0x-hex quantity, satoshis. */
  amountSats: string;
}

/** A log as @ethereumjs/vm returns it: `[address, topics, data]`. */
export type LogTuple = readonly [
  address: Uint8Array,
  topics: readonly Uint8Array[],
  data: Uint8Array,
];
/** A log as src/execution/types.ts carries it. */
export interface LogObject {
  address: Uint8Array;
  topics: readonly Uint8Array[];
  data: Uint8Array;
}
export type LogLike = LogTuple | LogObject;

/** The parts of a receipt that extraction reads: @ethereumjs/vm's TxReceipt or ours. */
export interface ReceiptLike {
  status?: 0 | 1;
  logs: readonly LogLike[];
}

function logParts(log: LogLike): LogTuple {
  if (Array.isArray(log)) return log as LogTuple;
  const { address, topics, data } = log as LogObject;
  return [address, topics, data];
}

export const WITHDRAWAL_EVENT_SIGNATURE = 'Withdrawal(uint256,address,bytes,uint256)';
export const WITHDRAWAL_EVENT_TOPIC = keccak_256(
  new TextEncoder().encode(WITHDRAWAL_EVENT_SIGNATURE),
);

const BRIDGE_ADDRESS_BYTES = Uint8Array.from(Buffer.from(BRIDGE_ADDRESS.slice(2), 'hex'));
/** The longest standard template (P2WSH, P2TR). */
const MAX_SCRIPT_LENGTH = 34;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function word(data: Uint8Array, i: number): bigint {
  return BigInt(bytesToHex(data.subarray(32 * i, 32 * i + 32)));
}

/**
 * Strict ABI decoding of the non-indexed part `(bytes scriptPubKey, uint256 amountSats)`:
 * head [offset = 0x40, amount], tail [length, script right-padded with zeros to 32 bytes].
 */
function decodeWithdrawalData(
  data: Uint8Array,
  field: string,
): { script: Uint8Array; amount: bigint } {
  const fail = (why: string) => new InvalidInputError(`${field}: ${why}`, { field });
  if (data.length < 96 || word(data, 0) !== 0x40n) {
    throw fail('not an ABI-encoded (bytes, uint256)');
  }
  const length = word(data, 2);
  if (length > BigInt(MAX_SCRIPT_LENGTH)) {
    throw fail(`script length ${length} exceeds ${MAX_SCRIPT_LENGTH}`);
  }
  const scriptLength = Number(length);
  if (data.length !== 96 + Math.ceil(scriptLength / 32) * 32) {
    throw fail('ABI data length does not match the script length');
  }
  if (data.subarray(96 + scriptLength).some((b) => b !== 0)) throw fail('non-zero ABI padding');
  return { script: data.slice(96, 96 + scriptLength), amount: word(data, 1) };
}

/** Decodes one bridge log; undefined for a log that is not the bridge's Withdrawal event. */
export function decodeWithdrawalLog(log: LogLike, field = 'log'): Withdrawal | undefined {
  const [address, topics, data] = logParts(log);
  if (!equalBytes(address, BRIDGE_ADDRESS_BYTES)) return undefined;
  const [topic0, indexTopic] = topics;
  if (topic0 === undefined || !equalBytes(topic0, WITHDRAWAL_EVENT_TOPIC)) return undefined;
  if (topics.length !== 3 || indexTopic === undefined) {
    throw new InvalidInputError(`${field}: Withdrawal event needs 3 topics, got ${topics.length}`, {
      field,
    });
  }
  const { script, amount } = decodeWithdrawalData(data, field);
  return {
    index: `0x${BigInt(bytesToHex(indexTopic)).toString(16)}`,
    scriptPubKey: bytesToHex(script),
    amountSats: `0x${amount.toString(16)}`,
  };
}

/**
 * The batch's withdrawals in order. Indices must be consecutive (the contract increments its
 * counter by one per event); a gap means the receipts are not one batch's complete output.
 */
export function extractWithdrawals(receipts: readonly ReceiptLike[]): Withdrawal[] {
  const withdrawals: Withdrawal[] = [];
  receipts.forEach((receipt, txIndex) => {
    if (receipt.status !== 1) return;
    receipt.logs.forEach((log, logIndex) => {
      const field = `receipts[${txIndex}].logs[${logIndex}]`;
      const withdrawal = decodeWithdrawalLog(log, field);
      if (withdrawal === undefined) return;
      const previous = withdrawals.at(-1);
      if (previous !== undefined && BigInt(withdrawal.index) !== BigInt(previous.index) + 1n) {
        throw new InvalidInputError(
          `${field}: withdrawal index ${withdrawal.index} does not follow ${previous.index}`,
          { field },
        );
      }
      withdrawals.push(withdrawal);
    });
  });
  return withdrawals;
}
