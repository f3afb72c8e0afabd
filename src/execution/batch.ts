/**
 * The batch file of DESIGN.md, checked at the boundary. Every error names the field, e.g.
 * `pre.0xab…12.storage.0x01: expected a 0x-hex quantity`, so a sequencer can fix its file.
 *
 *   {"fork": "cancun", "env": {"coinbase", "number", "timestamp", "gasLimit", "baseFee",
 *    "prevRandao", "chainId"}, "pre": {ADDRESS: {"balance", "nonce", "code",
 *    "storage": {SLOT: VALUE}}}, "txs": ["0x<signed raw tx>", ...]}
 *
 * `"preStateRoot": "0x<32 bytes>"` may replace `pre`: the batch then runs on a state the node
 * holds (its world state), and the executor must be given that world state.
 */
import { InvalidInputError } from '../shared/errors.ts';
import { bytesToHex, parseHexBytes, parseQuantity } from '../shared/hex.ts';
import type { Batch, BatchEnv, PreAccount, PreState } from './types.ts';

const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
/** A bound on work a single batch may ask for; a sequencer batch is far smaller. */
export const MAX_BATCH_TXS = 50_000;

export function parseBatch(input: unknown): Batch {
  const obj = record(input, 'batch');
  allowOnly(obj, ['fork', 'env', 'pre', 'txs', 'preStateRoot'], 'batch');
  if (obj.fork !== 'cancun') {
    throw new InvalidInputError(`fork: expected "cancun", got ${JSON.stringify(obj.fork)}`, {
      field: 'fork',
    });
  }
  const env = parseEnv(obj.env);
  const txs = parseTxs(obj.txs);
  if (obj.preStateRoot === undefined) {
    return { fork: 'cancun', env, pre: parsePre(obj.pre), txs };
  }
  if (obj.pre !== undefined) {
    throw new InvalidInputError('pre: give either "pre" or "preStateRoot", not both', {
      field: 'pre',
    });
  }
  const root = bytesToHex(parseHexBytes(obj.preStateRoot, 'preStateRoot', 32));
  return { fork: 'cancun', env, pre: new Map(), preStateRoot: root, txs };
}

function parseEnv(input: unknown): BatchEnv {
  const env = record(input, 'env');
  allowOnly(
    env,
    ['coinbase', 'number', 'timestamp', 'gasLimit', 'baseFee', 'prevRandao', 'chainId'],
    'env',
  );
  const chainId = bounded(env.chainId, 'env.chainId', UINT64_MAX);
  if (chainId === 0n)
    throw new InvalidInputError('env.chainId: must not be 0', { field: 'env.chainId' });
  const gasLimit = bounded(env.gasLimit, 'env.gasLimit', UINT64_MAX);
  if (gasLimit < 5000n) {
    throw new InvalidInputError('env.gasLimit: must be at least 5000', { field: 'env.gasLimit' });
  }
  return {
    coinbase: parseHexBytes(env.coinbase, 'env.coinbase', 20),
    number: bounded(env.number, 'env.number', UINT64_MAX),
    timestamp: bounded(env.timestamp, 'env.timestamp', UINT64_MAX),
    gasLimit,
    baseFee: bounded(env.baseFee, 'env.baseFee', UINT256_MAX),
    prevRandao: parseHexBytes(env.prevRandao, 'env.prevRandao', 32),
    chainId,
  };
}

function parsePre(input: unknown): PreState {
  const pre = record(input, 'pre');
  const out: PreState = new Map();
  for (const [address, value] of Object.entries(pre)) {
    const field = `pre.${address}`;
    parseHexBytes(address, field, 20);
    const key = address.toLowerCase();
    if (out.has(key)) throw new InvalidInputError(`${field}: listed twice`, { field });
    out.set(key, parseAccount(value, field));
  }
  return out;
}

function parseAccount(input: unknown, field: string): PreAccount {
  const acc = record(input, field);
  allowOnly(acc, ['balance', 'nonce', 'code', 'storage'], field);
  const storage = new Map<string, bigint>();
  const slots = acc.storage === undefined ? {} : record(acc.storage, `${field}.storage`);
  for (const [slot, value] of Object.entries(slots)) {
    const slotField = `${field}.storage.${slot}`;
    const key = bounded(slot, slotField, UINT256_MAX).toString(16).padStart(64, '0');
    if (storage.has(key))
      throw new InvalidInputError(`${slotField}: listed twice`, { field: slotField });
    const v = bounded(value, slotField, UINT256_MAX);
    if (v !== 0n) storage.set(key, v);
  }
  return {
    balance: acc.balance === undefined ? 0n : bounded(acc.balance, `${field}.balance`, UINT256_MAX),
    nonce: acc.nonce === undefined ? 0n : bounded(acc.nonce, `${field}.nonce`, UINT64_MAX),
    code: acc.code === undefined ? new Uint8Array(0) : parseHexBytes(acc.code, `${field}.code`),
    storage,
  };
}

function parseTxs(input: unknown): Uint8Array[] {
  if (!Array.isArray(input))
    throw new InvalidInputError('txs: expected an array', { field: 'txs' });
  if (input.length > MAX_BATCH_TXS) {
    throw new InvalidInputError(`txs: at most ${MAX_BATCH_TXS} transactions`, { field: 'txs' });
  }
  return input.map((raw, i) => {
    const bytes = parseHexBytes(raw, `txs[${i}]`);
    if (bytes.length === 0) throw new InvalidInputError(`txs[${i}]: empty`, { field: `txs[${i}]` });
    return bytes;
  });
}

function record(input: unknown, field: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError(`${field}: expected an object`, { field });
  }
  return input as Record<string, unknown>;
}

/** Unknown keys are refused: a typo ("basefee") must not silently become a default. */
function allowOnly(obj: Record<string, unknown>, keys: string[], field: string): void {
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) {
      throw new InvalidInputError(`${field}.${k}: unknown field`, { field: `${field}.${k}` });
    }
  }
}

function bounded(value: unknown, field: string, max: bigint): bigint {
  if (value === undefined) throw new InvalidInputError(`${field}: required`, { field });
  const n = parseQuantity(value, field);
  if (n > max) throw new InvalidInputError(`${field}: out of range`, { field });
  return n;
}
