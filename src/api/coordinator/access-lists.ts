/**
 * The access list of each batch the coordinator executed, kept beside its world state
 * (`$DATA_DIR/access-lists/<number>.json`, the JSON wire format of access-list-wire.ts) so its
 * signers can verify the batch without speculating. The list is an optimisation the signers
 * check, never a source of truth: a missing or unreadable file only means they execute the
 * batch themselves.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeAccessList } from '../../execution/access-list-wire.ts';
import type { AccessList } from '../../execution/accessList.ts';

function fileOf(dataDir: string, batchNumber: number): string {
  return path.join(dataDir, 'access-lists', `${batchNumber}.json`);
}

export function saveAccessList(dataDir: string, batchNumber: number, list: AccessList): void {
  const file = fileOf(dataDir, batchNumber);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(encodeAccessList(list)));
  renameSync(tmp, file);
}

/** The list's JSON as saved, or undefined when there is none to send. */
export function readAccessList(dataDir: string, batchNumber: number): unknown {
  try {
    return JSON.parse(readFileSync(fileOf(dataDir, batchNumber), 'utf8'));
  } catch {
    return undefined;
  }
}
