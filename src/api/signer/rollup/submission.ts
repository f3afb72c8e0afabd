/**
 * `POST /v1/rollup/batches`: a batch the sequencer ordered, as the coordinator recorded it,
 * with the post-state root the coordinator claims and, optionally, the access list its parallel
 * run produced:
 *
 *   { "number": 7, "batch": { "env": {...}, "preStateRoot": "0x..", "txs": ["0x.."] },
 *     "stateRoot": "0x..", "accessList": [...] }
 *
 * The transactions and their order come from the coordinator (the sequencer is their only
 * source); the root and the list are claims the signer checks by its own execution.
 */

import { decodeAccessList } from '../../../execution/access-list-wire.ts';
import type { AccessList } from '../../../execution/accessList.ts';
import { parseBatch } from '../../../execution/batch.ts';
import type { Batch } from '../../../execution/types.ts';
import { canonicalJson } from '../../../shared/canonical-json.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { bytesToHex, parseHexBytes } from '../../../shared/hex.ts';

export interface BatchSubmission {
  number: number;
  batch: Batch;
  /** canonical JSON of the batch minus its transactions: what a replay must repeat */
  env: string;
  /** the transactions, lower-case 0x-hex, in order */
  txs: string[];
  preStateRoot: string;
  /** lower-case 0x-hex */
  claimedStateRoot: string;
  accessList?: AccessList;
}

const MAX_BATCH_NUMBER = 2 ** 31 - 1;

export function parseBatchSubmission(body: Record<string, unknown>): BatchSubmission {
  const extra = Object.keys(body).find(
    (k) => !['number', 'batch', 'stateRoot', 'accessList'].includes(k),
  );
  if (extra !== undefined) throw bad(extra, 'unknown field');
  const number = body.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw bad('number', 'expected the batch number, an integer from 1');
  }
  if (number > MAX_BATCH_NUMBER) throw bad('number', `at most ${MAX_BATCH_NUMBER}`);
  const input = body.batch;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('batch', 'expected the batch object {env, preStateRoot, txs}');
  }
  const { txs: _txs, ...rest } = input as Record<string, unknown>;
  if ('pre' in rest) throw bad('batch.pre', 'a rollup batch runs on preStateRoot, not on "pre"');
  const batch = parseBatchField(input);
  if (batch.preStateRoot === undefined) throw bad('batch.preStateRoot', 'required');
  const claimedStateRoot = bytesToHex(parseHexBytes(body.stateRoot, 'stateRoot', 32));
  return {
    number,
    batch,
    env: canonicalJson(rest),
    txs: batch.txs.map(bytesToHex),
    preStateRoot: batch.preStateRoot.toLowerCase(),
    claimedStateRoot,
    ...(body.accessList === undefined
      ? {}
      : { accessList: decodeAccessList(body.accessList, 'accessList') }),
  };
}

/** parseBatch names fields from the batch's root; here they sit under `batch.`. */
function parseBatchField(input: unknown): Batch {
  try {
    return parseBatch(input);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const field = (error.extensions as { field?: unknown }).field;
    const at = typeof field === 'string' ? `batch.${field}` : 'batch';
    throw new InvalidInputError(`batch: ${error.message}`, { field: at });
  }
}

function bad(field: string, detail: string): InvalidInputError {
  return new InvalidInputError(`${field}: ${detail}`, { field });
}
