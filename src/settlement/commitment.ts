/**
 * The settlement commitment: the OP_RETURN payload every settlement transaction carries, so that
 * anyone holding the rollup's batches can tell from the chain alone what a settlement settled:
 * the batches up to `batchNumber` (whose post-state root is `stateRoot`) and the bridge's
 * withdrawal queue entries [firstWithdrawalIndex, firstWithdrawalIndex + withdrawalCount).
 * docs/commitment.md is the format's page; the spec lines below are quoted from it.
 *
 * Every value is checked at the boundary with the field's name in the error (InvalidInputError
 * with `{ field }`), and a decoded commitment passes the same checks as one being encoded, so
 * whatever decodes also encodes back to the same bytes. The script itself is bitcoinjs-lib's
 * (`payments.embed`): no script code of our own.
 */
import { payments } from 'bitcoinjs-lib';
import { InvalidInputError } from '../shared/errors.ts';
import { bytesToHex, parseHexBytes } from '../shared/hex.ts';

export interface Commitment {
  /** the rollup's chain id */
  chainId: bigint;
  /** the newest batch the settlement covers */
  batchNumber: bigint;
  /** that batch's post-state root, 0x-hex of 32 bytes */
  stateRoot: string;
  /** bridge queue index of the first withdrawal paid (the next unpaid one when none is) */
  firstWithdrawalIndex: bigint;
  /** how many consecutive queue entries from there are paid, in queue order */
  withdrawalCount: number;
}

/** What `custody decode-commitment` prints: u64 values as decimal strings (JSON has no u64). */
export interface CommitmentJson {
  tag: string;
  version: number;
  chainId: string;
  batchNumber: string;
  stateRoot: string;
  firstWithdrawalIndex: string;
  withdrawalCount: number;
}

// "tag: 3 bytes ASCII "RCS" (rollup custody settlement)"
export const COMMITMENT_TAG = 'RCS';
// "version: 1 byte = 1"
export const COMMITMENT_VERSION = 1;
// "64 bytes, under the 80-byte OP_RETURN standardness limit"
export const COMMITMENT_LENGTH = 64;

/** Byte offsets of each field ("all integers big-endian"). */
const AT = {
  tag: 0, // 3 bytes
  version: 3, // u8
  chainId: 4, // u64
  batchNumber: 12, // u64
  stateRoot: 20, // 32 bytes
  firstWithdrawalIndex: 52, // u64
  withdrawalCount: 60, // u32
} as const;

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 2 ** 32 - 1;
const TAG_BYTES = new TextEncoder().encode(COMMITMENT_TAG);

function refuse(field: string, detail: string): never {
  throw new InvalidInputError(`${field}: ${detail}`, { field });
}

function checkU64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint') refuse(field, `expected a bigint, got ${typeof value}`);
  if (value < 0n || value > U64_MAX) refuse(field, `${value} is outside u64 (0 to 2^64 - 1)`);
  return value;
}

function checkU32(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    refuse(field, `expected an integer, got ${String(value)}`);
  }
  if (value < 0 || value > U32_MAX) refuse(field, `${value} is outside u32 (0 to 2^32 - 1)`);
  return value;
}

/** The checked fields: stateRoot as its 32 bytes. */
interface CheckedCommitment {
  chainId: bigint;
  batchNumber: bigint;
  stateRoot: Uint8Array;
  firstWithdrawalIndex: bigint;
  withdrawalCount: number;
}

function checkCommitment(c: Commitment): CheckedCommitment {
  if (typeof c !== 'object' || c === null) refuse('commitment', 'expected an object');
  const checked = {
    chainId: checkU64(c.chainId, 'chainId'),
    batchNumber: checkU64(c.batchNumber, 'batchNumber'),
    stateRoot: parseHexBytes(c.stateRoot, 'stateRoot', 32),
    firstWithdrawalIndex: checkU64(c.firstWithdrawalIndex, 'firstWithdrawalIndex'),
    withdrawalCount: checkU32(c.withdrawalCount, 'withdrawalCount'),
  };
  // The paid range [first, first + count) must name queue indices a u64 can hold.
  if (checked.firstWithdrawalIndex + BigInt(checked.withdrawalCount) > U64_MAX + 1n) {
    refuse('withdrawalCount', 'the range from firstWithdrawalIndex passes 2^64 - 1');
  }
  return checked;
}

/** The 64-byte payload; every field is checked first and a bad one named. */
export function encodeCommitment(c: Commitment): Uint8Array {
  const f = checkCommitment(c);
  const bytes = new Uint8Array(COMMITMENT_LENGTH);
  const view = new DataView(bytes.buffer);
  bytes.set(TAG_BYTES, AT.tag); // "tag: 3 bytes ASCII "RCS""
  view.setUint8(AT.version, COMMITMENT_VERSION); // "version: 1 byte = 1"
  view.setBigUint64(AT.chainId, f.chainId); // "chainId: u64"
  view.setBigUint64(AT.batchNumber, f.batchNumber); // "batchNumber: u64"
  bytes.set(f.stateRoot, AT.stateRoot); // "stateRoot: 32 bytes"
  view.setBigUint64(AT.firstWithdrawalIndex, f.firstWithdrawalIndex); // "firstWithdrawalIndex: u64"
  view.setUint32(AT.withdrawalCount, f.withdrawalCount); // "withdrawalCount: u32"
  return bytes;
}

function checkHeader(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) refuse('commitment', 'expected bytes');
  if (bytes.length !== COMMITMENT_LENGTH) {
    refuse('commitment', `expected ${COMMITMENT_LENGTH} bytes, got ${bytes.length}`);
  }
  const tag = bytes.subarray(AT.tag, AT.tag + TAG_BYTES.length);
  if (!tag.every((b, i) => b === TAG_BYTES[i])) {
    refuse('commitment', `tag ${bytesToHex(tag)} is not "${COMMITMENT_TAG}" (another protocol's?)`);
  }
  const version = bytes[AT.version];
  if (version !== COMMITMENT_VERSION) {
    refuse('commitment', `version ${version} is not known (expected ${COMMITMENT_VERSION})`);
  }
}

/** The payload's fields; refuses a wrong length, another tag or a version not known here. */
export function decodeCommitment(bytes: Uint8Array): Commitment {
  checkHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const c: Commitment = {
    chainId: view.getBigUint64(AT.chainId),
    batchNumber: view.getBigUint64(AT.batchNumber),
    stateRoot: bytesToHex(bytes.subarray(AT.stateRoot, AT.stateRoot + 32)),
    firstWithdrawalIndex: view.getBigUint64(AT.firstWithdrawalIndex),
    withdrawalCount: view.getUint32(AT.withdrawalCount),
  };
  checkCommitment(c); // what decodes must also encode (the range check)
  return c;
}

/** The settlement's OP_RETURN output script: OP_RETURN and one push of the payload. */
export function commitmentScript(c: Commitment): Uint8Array {
  const output = payments.embed({ data: [encodeCommitment(c)] }).output;
  if (output === undefined) throw new Error('bitcoinjs-lib made no embed output');
  return output;
}

/** The OP_RETURN payload of `script`: one push and nothing else, or refused. */
function scriptPayload(script: Uint8Array): Uint8Array {
  let data: Uint8Array[] | undefined;
  try {
    data = payments.embed({ output: script }).data;
  } catch {
    refuse('script', 'not an OP_RETURN script');
  }
  if (data === undefined || data.length !== 1 || data[0] === undefined) {
    refuse('script', `expected OP_RETURN with one push, got ${data?.length ?? 0} pushes`);
  }
  return data[0];
}

/**
 * The commitment an OP_RETURN script carries. Also refuses scripts that are not exactly what
 * `commitmentScript` makes (a second push, a non-minimal push), so one commitment has one script.
 */
export function commitmentFromScript(script: Uint8Array): Commitment {
  const c = decodeCommitment(scriptPayload(script));
  const canonical = commitmentScript(c);
  if (bytesToHex(canonical) !== bytesToHex(script)) {
    refuse('script', 'the payload is not pushed the standard way (one direct push of 64 bytes)');
  }
  return c;
}

const OP_RETURN = 0x6a;

/**
 * A commitment from text as an operator pastes it: the 64-byte payload or the whole OP_RETURN
 * script (6a40…), in hex with or without 0x. A 64-byte input is always read as a payload.
 */
export function commitmentFromHex(text: string): Commitment {
  const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]*$/.test(digits)) {
    refuse('commitment', 'expected hex digits (0-9, a-f), with or without 0x');
  }
  if (digits.length % 2 !== 0) {
    refuse('commitment', `odd number of hex digits (${digits.length}): the last byte is cut`);
  }
  const bytes = new Uint8Array(Buffer.from(digits, 'hex'));
  if (bytes.length !== COMMITMENT_LENGTH && bytes[0] === OP_RETURN) {
    return commitmentFromScript(bytes);
  }
  return decodeCommitment(bytes);
}

/** The JSON form: tag and version spelled out, u64 values as decimal strings. */
export function commitmentToJson(c: Commitment): CommitmentJson {
  return {
    tag: COMMITMENT_TAG,
    version: COMMITMENT_VERSION,
    chainId: c.chainId.toString(10),
    batchNumber: c.batchNumber.toString(10),
    stateRoot: c.stateRoot.toLowerCase(),
    firstWithdrawalIndex: c.firstWithdrawalIndex.toString(10),
    withdrawalCount: c.withdrawalCount,
  };
}
