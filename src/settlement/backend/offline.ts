/**
 * The offline backend: no Bitcoin node. `broadcast` writes the fully signed transaction and its
 * PSBT to an outbox directory for an operator to broadcast, and the settlement ends at
 * `exported`.
 *
 * What it can honestly say about the chain: nothing. It has no chain view, so it never
 * invents one: `tipHeight` is -1 and `estimateFeeRate` is null (as the interface documents),
 * and `listUnspent`, `getUnspent` and `txStatus` throw NoChainViewError instead of answering
 * "no outputs", "spent" or "unknown", any of which a caller could act on (an empty list looks
 * like an empty custody address; 'unknown' looks like a transaction that left the chain).
 * Offline, the custody outputs come from our own records (each settlement's output 0) and
 * the operator reports confirmations.
 *
 * Files: `<name>.tx.hex` (the transaction, hex, one line) and `<name>.psbt` (base64, one
 * line). Each is written to a temporary file, fsynced, and hard-linked to its name: link(2)
 * fails when the name exists, so a file is never overwritten and never seen half-written.
 * Exporting the same name again with the same bytes is idempotent (it also completes an
 * export a crash interrupted); with different bytes it is refused.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { ConflictError, CustodyError, InvalidInputError } from '../../shared/errors.ts';
import type { NetworkName } from '../../shared/networks.ts';
import type { BitcoinBackend, BroadcastResult, ChainOutput, TxStatus } from './types.ts';

/** The offline backend was asked something only a node can answer. */
export class NoChainViewError extends CustodyError {
  constructor(readonly method: string) {
    super(
      'no-chain-view',
      503,
      'No Bitcoin node',
      `${method}: the offline backend has no chain view (set BITCOIN_RPC_URL to use a node)`,
      { method },
    );
  }
}

export interface OfflineOptions {
  network: NetworkName;
  outboxDir: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class OfflineBackend implements BitcoinBackend {
  readonly kind = 'offline' as const;
  readonly network: NetworkName;
  readonly outboxDir: string;

  constructor(opts: OfflineOptions) {
    this.network = opts.network;
    this.outboxDir = path.resolve(opts.outboxDir);
  }

  async tipHeight(): Promise<number> {
    return -1;
  }

  async estimateFeeRate(_targetBlocks: number): Promise<number | null> {
    return null;
  }

  async listUnspent(_scriptPubKeyHex: string): Promise<ChainOutput[]> {
    throw new NoChainViewError('listUnspent');
  }

  async getUnspent(): Promise<ChainOutput | null> {
    throw new NoChainViewError('getUnspent');
  }

  async txStatus(_txid: string): Promise<TxStatus> {
    throw new NoChainViewError('txStatus');
  }

  async broadcast(rawTxHex: string, psbtBase64: string, name: string): Promise<BroadcastResult> {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new InvalidInputError(
        'name: expected 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting with . _ or -',
        { field: 'name' },
      );
    }
    const tx = parseTransaction(rawTxHex);
    checkPsbtMatches(psbtBase64, tx);
    const txid = tx.getId();
    await fs.mkdir(this.outboxDir, { recursive: true, mode: 0o750 });
    const txPath = path.join(this.outboxDir, `${name}.tx.hex`);
    const psbtPath = path.join(this.outboxDir, `${name}.psbt`);
    const files: [string, Buffer][] = [
      [txPath, Buffer.from(`${rawTxHex}\n`)],
      [psbtPath, Buffer.from(`${psbtBase64}\n`)],
    ];
    // Refuse before writing anything when either name already holds other bytes.
    const present: boolean[] = [];
    for (const [file, bytes] of files) present.push(await checkSameOrAbsent(file, bytes));
    for (const [i, [file, bytes]] of files.entries()) if (!present[i]) await writeNew(file, bytes);
    await fsyncDir(this.outboxDir);
    return { txid, accepted: 'exported', exported: { txPath, psbtPath } };
  }
}

function parseTransaction(rawTxHex: string): Transaction {
  if (typeof rawTxHex !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(rawTxHex)) {
    throw new InvalidInputError('rawTxHex: expected lowercase hex', { field: 'rawTxHex' });
  }
  try {
    return Transaction.fromHex(rawTxHex);
  } catch {
    throw new InvalidInputError('rawTxHex: not a serialized transaction', { field: 'rawTxHex' });
  }
}

/** The PSBT must describe this transaction: same inputs, sequences, outputs, version, locktime. */
function checkPsbtMatches(psbtBase64: string, tx: Transaction): void {
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBase64(psbtBase64);
  } catch {
    throw new InvalidInputError('psbtBase64: not a BIP174 PSBT', { field: 'psbtBase64' });
  }
  const unsigned = tx.clone();
  for (let i = 0; i < unsigned.ins.length; i++) {
    unsigned.setInputScript(i, new Uint8Array(0));
    unsigned.setWitness(i, []);
  }
  const psbtTx = Buffer.from(psbt.data.globalMap.unsignedTx.toBuffer()).toString('hex');
  if (psbtTx !== unsigned.toHex()) {
    throw new InvalidInputError('psbtBase64: describes another transaction than rawTxHex', {
      field: 'psbtBase64',
    });
  }
}

/** False when `file` is absent, true when it holds exactly `bytes`; refuses anything else. */
async function checkSameOrAbsent(file: string, bytes: Buffer): Promise<boolean> {
  let existing: Buffer;
  try {
    existing = await fs.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  if (!existing.equals(bytes)) {
    throw new ConflictError(
      `${path.basename(file)} already exists in the outbox with other content; it is never overwritten`,
      { path: file },
    );
  }
  return true;
}

async function writeNew(file: string, bytes: Buffer): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    0o640,
  );
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Written meanwhile (a concurrent export, or an earlier one): same bytes or refuse.
    await checkSameOrAbsent(file, bytes);
  } finally {
    await fs.unlink(tmp);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
