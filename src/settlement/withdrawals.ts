/**
 * The withdrawal queue as a settlement sees it: the bridge numbers withdrawals globally and a
 * settlement pays a run of consecutive ones, oldest first. Entries come in the bridge's record
 * format (0x-hex quantities, src/execution/bridge/withdrawals.ts) and are checked here.
 */
import { InvalidInputError } from '../shared/errors.ts';
import type { ScriptType } from '../shared/networks.ts';
import { toBytes } from './custody-types/keys.ts';
import type { SettlementNetwork } from './networks.ts';

/** A withdrawal record as the bridge emits it (all 0x-hex). */
export interface BridgeWithdrawal {
  index: string;
  scriptPubKey: string;
  amountSats: string;
}

export interface QueuedWithdrawal {
  index: bigint;
  scriptPubKey: Uint8Array;
  amountSats: bigint;
  scriptType: ScriptType;
}

/**
 * The bridge's exact templates (contracts/Bridge.sol `classify`), as Bitcoin Core's Solver()
 * recognises them, by length and opcodes only:
 *   P2PKH  76 a9 14 {20} 88 ac · P2SH a9 14 {20} 87 · P2WPKH 00 14 {20} · P2WSH 00 20 {32} ·
 *   P2TR 51 20 {32}
 * No curve check on a P2TR key: Core relays any 32-byte witness v1 program, and a builder that
 * refused one the bridge accepted would stop every settlement behind it.
 */
export function classifyScript(s: Uint8Array): ScriptType | null {
  if (
    s.length === 25 &&
    s[0] === 0x76 &&
    s[1] === 0xa9 &&
    s[2] === 0x14 &&
    s[23] === 0x88 &&
    s[24] === 0xac
  ) {
    return 'p2pkh';
  }
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'p2sh';
  if (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) return 'p2wpkh';
  if (s.length === 34 && s[0] === 0x00 && s[1] === 0x20) return 'p2wsh';
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) return 'p2tr';
  return null;
}

function quantity(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    throw new InvalidInputError(`${field}: expected a 0x-hex quantity`, { field });
  }
  return BigInt(value);
}

/** Parse and check the queue: consecutive indexes, standard scripts, amounts at or above dust. */
export function parseWithdrawalQueue(
  queue: readonly BridgeWithdrawal[],
  network: SettlementNetwork,
): QueuedWithdrawal[] {
  const parsed = queue.map((w, i) => parseOne(w, i, network));
  parsed.forEach((w, i) => {
    const previous = parsed[i - 1];
    if (previous !== undefined && w.index !== previous.index + 1n) {
      throw new InvalidInputError(
        `withdrawalQueue[${i}]: index ${w.index} does not follow ${previous.index} (a gap or a reordering)`,
        { field: `withdrawalQueue[${i}].index` },
      );
    }
  });
  return parsed;
}

function parseOne(w: BridgeWithdrawal, i: number, network: SettlementNetwork): QueuedWithdrawal {
  const field = `withdrawalQueue[${i}]`;
  const index = quantity(w.index, `${field}.index`);
  const amountSats = quantity(w.amountSats, `${field}.amountSats`);
  const scriptPubKey = toBytes(w.scriptPubKey, `${field}.scriptPubKey`);
  const scriptType = classifyScript(scriptPubKey);
  if (scriptType === null) {
    throw new InvalidInputError(`${field}.scriptPubKey: not a standard output script`, {
      field: `${field}.scriptPubKey`,
    });
  }
  const dust = network.dust.dustLimitSats[scriptType];
  if (amountSats < dust) {
    throw new InvalidInputError(
      `${field}.amountSats: ${amountSats} sats is below the ${scriptType} dust limit of ${dust}`,
      { field: `${field}.amountSats` },
    );
  }
  return { index, scriptPubKey, amountSats, scriptType };
}

/**
 * The queue from index `from` on, oldest first, out of batches' stored withdrawal lists (each
 * the JSON of one batch's `BridgeWithdrawal[]`): how the coordinator and each signer read the
 * queue of their own executions.
 */
export function queueFromStored(stored: readonly string[], from: bigint): BridgeWithdrawal[] {
  return stored
    .flatMap((text) => JSON.parse(text) as BridgeWithdrawal[])
    .filter((w) => BigInt(w.index) >= from)
    .sort((a, b) => (BigInt(a.index) < BigInt(b.index) ? -1 : 1));
}
