/**
 * The withdrawal queue as a settlement sees it: the bridge numbers withdrawals globally and a
 * settlement pays a run of consecutive ones, oldest first. Entries come in the bridge's record
 * format (0x-hex quantities, src/execution/bridge/withdrawals.ts) and are checked here.
 */
import { payments } from 'bitcoinjs-lib';
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

/** Bitcoin Core's Solver() templates, recognised by bitcoinjs-lib's payments. */
const TEMPLATES: readonly [ScriptType, (output: Uint8Array) => unknown][] = [
  ['p2pkh', (output) => payments.p2pkh({ output })],
  ['p2sh', (output) => payments.p2sh({ output })],
  ['p2wpkh', (output) => payments.p2wpkh({ output })],
  ['p2wsh', (output) => payments.p2wsh({ output })],
  ['p2tr', (output) => payments.p2tr({ output })],
];

/**
 * The one template a script can be, from its length and first byte (as in the bridge contract's
 * classify), confirmed by bitcoinjs-lib's payment; trying every payment in turn throws on each
 * miss, which was half the cost of building a 1,000-withdrawal settlement.
 */
function candidate(script: Uint8Array): ScriptType | null {
  const first = script[0];
  if (script.length === 25 && first === 0x76) return 'p2pkh';
  if (script.length === 23 && first === 0xa9) return 'p2sh';
  if (script.length === 22 && first === 0x00) return 'p2wpkh';
  if (script.length === 34 && first === 0x00) return 'p2wsh';
  if (script.length === 34 && first === 0x51) return 'p2tr';
  return null;
}

export function classifyScript(script: Uint8Array): ScriptType | null {
  const type = candidate(script);
  const parse = TEMPLATES.find(([t]) => t === type)?.[1];
  if (type === null || parse === undefined) return null;
  try {
    parse(script);
    return type;
  } catch {
    return null;
  }
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
