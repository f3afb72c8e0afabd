/**
 * The Bitcoin Core JSON-RPC backend (litecoind 0.21 speaks the same RPC). No node wallet and no
 * -txindex are assumed: outputs come from the UTXO set (`scantxoutset`, `gettxout`), a
 * transaction is found in the mempool or in the block we last saw it in.
 *
 * Transport: Node's fetch refuses URLs with credentials, so `http://user:pass@host:port`
 * becomes an Authorization Basic header (the parts percent-decoded) and the request goes to the
 * URL without them. The password never appears in an error, a log line or `describe()`.
 * Each call has its own timeout (AbortSignal.timeout). Each request closes its connection:
 * the node's shutdown waits for idle kept-alive connections (4 s, fetch's keep-alive timeout,
 * seen on litecoind 0.21), and a loopback connection per call costs nothing next to a block
 * interval.
 *
 * Amounts are exact: the response text is parsed with decimal numbers kept as text
 * (rpc-json.ts) and converted to satoshis with integer arithmetic.
 */
import { Transaction } from 'bitcoinjs-lib';
import { CustodyError, InvalidInputError } from '../../shared/errors.ts';
import type { NetworkName } from '../../shared/networks.ts';
import { coinsToSats, parseJsonKeepingDecimals } from './rpc-json.ts';
import type { BitcoinBackend, BroadcastResult, ChainOutput, Outpoint, TxStatus } from './types.ts';

/** The node answered the call with a JSON-RPC error. */
export class BitcoinRpcError extends CustodyError {
  constructor(
    readonly method: string,
    /** Bitcoin Core's RPC error code (-5 not found, -8 invalid parameter, -26 rejected, ...). */
    readonly rpcCode: number,
    /** The node's own message, verbatim. */
    readonly rpcMessage: string,
    detail = `Bitcoin node: ${method} failed: ${rpcMessage} (RPC error ${rpcCode})`,
  ) {
    super('bitcoin-rpc', 502, 'Bitcoin node error', detail, { method, rpcCode });
  }
}

/** sendrawtransaction refused the transaction; `reason` is the node's reason, verbatim. */
export class TransactionRejectedError extends BitcoinRpcError {
  readonly txid: string;
  readonly reason: string;
  constructor(txid: string, rpcCode: number, reason: string) {
    super(
      'sendrawtransaction',
      rpcCode,
      reason,
      `Bitcoin node refused transaction ${txid}: ${reason} (RPC error ${rpcCode})`,
    );
    this.txid = txid;
    this.reason = reason;
  }
}

/** The node could not be asked: unreachable, timed out, refused our credentials, or not JSON-RPC. */
export class BitcoinNodeError extends CustodyError {
  constructor(
    readonly method: string,
    /** The endpoint without the password. */
    readonly endpoint: string,
    readonly reason: 'unreachable' | 'timeout' | 'unauthorized' | 'bad-response',
    detail: string,
  ) {
    super('bitcoin-node-unavailable', 503, 'Bitcoin node unavailable', detail, {
      method,
      endpoint,
      reason,
    });
  }
}

export interface BitcoinCoreOptions {
  network: NetworkName;
  /** `http(s)://[user:password@]host:port[/path]`. */
  rpcUrl: string;
  /** Per-call timeout (default 30 s). */
  timeoutMs?: number;
  /** How long `listUnspent` may take, including waiting for another client's scan (default 10 min). */
  scanTimeoutMs?: number;
}

interface ParsedRpcUrl {
  endpoint: string;
  /** For messages: the URL with the password replaced by ***. */
  display: string;
  authorization?: string;
}

export function parseRpcUrl(rpcUrl: string, field = 'BITCOIN_RPC_URL'): ParsedRpcUrl {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    // The value may hold a password: never echo it.
    throw new InvalidInputError(`${field}: not a valid URL`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(
      `${field}: expected an http:// or https:// URL, got ${url.protocol}`,
      {
        field,
      },
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidInputError(`${field}: must not have a query or fragment`, { field });
  }
  let authorization: string | undefined;
  const hasCredentials = url.username !== '' || url.password !== '';
  if (hasCredentials) {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      throw new InvalidInputError(`${field}: the credentials are not valid percent-encoding`, {
        field,
      });
    }
    authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }
  const userPart = hasCredentials ? `${url.username}:***@` : '';
  const display = `${url.protocol}//${userPart}${url.host}${url.pathname}`;
  url.username = '';
  url.password = '';
  return { endpoint: url.toString(), display, authorization };
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const TXID = /^[0-9a-f]{64}$/;

function checkTxid(txid: unknown, field: string): string {
  if (typeof txid !== 'string' || !TXID.test(txid)) {
    throw new InvalidInputError(`${field}: expected 64 lowercase hex characters`, { field });
  }
  return txid;
}

function expectRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`Bitcoin node: unexpected ${what} result`);
  }
  return value as Record<string, unknown>;
}

function expectInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`Bitcoin node: ${what} is not an integer`);
  }
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BitcoinCoreBackend implements BitcoinBackend {
  readonly kind = 'bitcoin-core' as const;
  readonly network: NetworkName;
  private readonly url: ParsedRpcUrl;
  private readonly timeoutMs: number;
  private readonly scanTimeoutMs: number;
  private nextId = 1;

  constructor(opts: BitcoinCoreOptions) {
    this.network = opts.network;
    this.url = parseRpcUrl(opts.rpcUrl);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.scanTimeoutMs = opts.scanTimeoutMs ?? 600_000;
  }

  /** Where this backend points, without the password. */
  describe(): string {
    return this.url.display;
  }

  /**
   * One JSON-RPC call. Numbers with a fraction come back as their decimal text (see
   * rpc-json.ts); integers as numbers.
   */
  async call(method: string, params: unknown[] = [], timeoutMs = this.timeoutMs): Promise<unknown> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      connection: 'close',
    };
    if (this.url.authorization !== undefined) headers.authorization = this.url.authorization;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new BitcoinNodeError(
          method,
          this.url.display,
          'timeout',
          `Bitcoin node at ${this.url.display}: ${method} timed out after ${timeoutMs} ms`,
        );
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new BitcoinNodeError(
        method,
        this.url.display,
        'unreachable',
        `Bitcoin node at ${this.url.display} is unreachable (${method}: ${why})`,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new BitcoinNodeError(
        method,
        this.url.display,
        'unauthorized',
        `Bitcoin node at ${this.url.display} refused the credentials in BITCOIN_RPC_URL (HTTP ${res.status})`,
      );
    }
    let body: Record<string, unknown>;
    try {
      body = expectRecord(parseJsonKeepingDecimals(text), method);
    } catch {
      throw new BitcoinNodeError(
        method,
        this.url.display,
        'bad-response',
        `Bitcoin node at ${this.url.display}: ${method} answered HTTP ${res.status} with no JSON-RPC body`,
      );
    }
    const error = body.error;
    if (error !== null && error !== undefined) {
      const { code, message } = expectRecord(error, `${method} error`);
      throw new BitcoinRpcError(
        method,
        typeof code === 'number' ? code : 0,
        typeof message === 'string' ? message : JSON.stringify(error),
      );
    }
    return body.result;
  }

  async tipHeight(): Promise<number> {
    return expectInt(await this.call('getblockcount'), 'getblockcount');
  }

  async estimateFeeRate(targetBlocks: number): Promise<number | null> {
    if (!Number.isInteger(targetBlocks) || targetBlocks < 1 || targetBlocks > 1008) {
      throw new InvalidInputError('targetBlocks: expected an integer from 1 to 1008', {
        field: 'targetBlocks',
      });
    }
    const r = expectRecord(await this.call('estimatesmartfee', [targetBlocks]), 'estimatesmartfee');
    // A fresh chain answers {"errors": ["Insufficient data or no feerate found"], "blocks": 0}.
    if (Array.isArray(r.errors) && r.errors.length > 0) return null;
    if (r.feerate === undefined || r.feerate === null) return null;
    // feerate is coins per 1,000 vB: its satoshi value is sat/kvB.
    const satPerKvB = coinsToSats(r.feerate, 'estimatesmartfee.feerate');
    if (satPerKvB <= 0n) return null;
    return Number(satPerKvB) / 1000;
  }

  async listUnspent(scriptPubKeyHex: string): Promise<ChainOutput[]> {
    if (
      typeof scriptPubKeyHex !== 'string' ||
      !HEX.test(scriptPubKeyHex) ||
      scriptPubKeyHex.length > 20_000
    ) {
      throw new InvalidInputError('scriptPubKeyHex: expected lowercase hex bytes, no 0x', {
        field: 'scriptPubKeyHex',
      });
    }
    const deadline = Date.now() + this.scanTimeoutMs;
    let result: Record<string, unknown>;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        result = expectRecord(
          await this.call(
            'scantxoutset',
            ['start', [`raw(${scriptPubKeyHex})`]],
            Math.max(1, deadline - Date.now()),
          ),
          'scantxoutset',
        );
        break;
      } catch (e) {
        // One scan at a time per node; another client (a signer on the same node, or our own
        // call that timed out) may hold it.
        const busy = e instanceof BitcoinRpcError && /scan already in progress/i.test(e.rpcMessage);
        if (!busy || Date.now() + wait > deadline) throw e;
        await sleep(wait);
      }
    }
    if (result.success !== true) throw new Error('Bitcoin node: scantxoutset was aborted');
    const scanHeight = expectInt(result.height, 'scantxoutset.height');
    const unspents = Array.isArray(result.unspents) ? result.unspents : [];
    const outputs: ChainOutput[] = [];
    for (const u of unspents) {
      const o = expectRecord(u, 'scantxoutset unspent');
      if (o.scriptPubKey !== scriptPubKeyHex) continue;
      const height = expectInt(o.height, 'scantxoutset unspent height');
      outputs.push({
        txid: checkTxid(o.txid, 'scantxoutset.txid'),
        vout: expectInt(o.vout, 'scantxoutset.vout'),
        valueSats: coinsToSats(o.amount, 'scantxoutset.amount'),
        scriptPubKey: scriptPubKeyHex,
        confirmations: scanHeight - height + 1,
      });
    }
    outputs.sort((a, b) => (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : a.vout - b.vout));
    return outputs;
  }

  async getUnspent(outpoint: Outpoint): Promise<ChainOutput | null> {
    const txid = checkTxid(outpoint.txid, 'outpoint.txid');
    if (!Number.isInteger(outpoint.vout) || outpoint.vout < 0) {
      throw new InvalidInputError('outpoint.vout: expected a non-negative integer', {
        field: 'outpoint.vout',
      });
    }
    // include_mempool = true: an output a mempool transaction spends is reported as spent.
    const r = await this.call('gettxout', [txid, outpoint.vout, true]);
    if (r === null) return null;
    const o = expectRecord(r, 'gettxout');
    const spk = expectRecord(o.scriptPubKey, 'gettxout.scriptPubKey');
    if (typeof spk.hex !== 'string') throw new Error('Bitcoin node: gettxout has no script');
    return {
      txid,
      vout: outpoint.vout,
      valueSats: coinsToSats(o.value, 'gettxout.value'),
      scriptPubKey: spk.hex,
      confirmations: expectInt(o.confirmations, 'gettxout.confirmations'),
    };
  }

  async broadcast(rawTxHex: string, _psbtBase64: string, _name: string): Promise<BroadcastResult> {
    let txid: string;
    try {
      txid = Transaction.fromHex(rawTxHex).getId();
    } catch {
      throw new InvalidInputError('rawTxHex: not a serialized transaction', { field: 'rawTxHex' });
    }
    // Bitcoin Core 0.21 answers a resend of a mempool transaction with its txid, no error:
    // ask the mempool first so a rebroadcast reports 'already-known'.
    if (await this.inMempool(txid)) return { txid, accepted: 'already-known' };
    try {
      const sent = await this.call('sendrawtransaction', [rawTxHex]);
      if (sent !== txid) throw new Error(`Bitcoin node: sendrawtransaction returned ${sent}`);
      return { txid, accepted: 'mempool' };
    } catch (e) {
      if (!(e instanceof BitcoinRpcError)) throw e;
      // RPC_VERIFY_ALREADY_IN_CHAIN (-27) "Transaction already in block chain"; newer nodes
      // also say txn-already-in-mempool / txn-already-known for a transaction they hold.
      if (
        e.rpcCode === -27 ||
        /txn-already-in-mempool|txn-already-known|already in block chain/i.test(e.rpcMessage)
      ) {
        return { txid, accepted: 'already-known' };
      }
      throw new TransactionRejectedError(txid, e.rpcCode, e.rpcMessage);
    }
  }

  async txStatus(txid: string, knownBlockHash?: string): Promise<TxStatus> {
    checkTxid(txid, 'txid');
    if (knownBlockHash !== undefined) {
      checkTxid(knownBlockHash, 'knownBlockHash');
      const confirmed = await this.confirmedIn(txid, knownBlockHash);
      if (confirmed) return confirmed;
    }
    if (await this.inMempool(txid)) return { state: 'mempool', confirmations: 0 };
    // Without -txindex and without a block hash, an unspent output 0 still shows where the
    // transaction is (a settlement's output 0 is the custody output, unspent until the next
    // settlement): gettxout gives its confirmations, hence the block height.
    const out = await this.call('gettxout', [txid, 0, false]);
    if (out !== null) {
      const o = expectRecord(out, 'gettxout');
      const confirmations = expectInt(o.confirmations, 'gettxout.confirmations');
      const best = expectRecord(
        await this.call('getblockheader', [o.bestblock, true]),
        'getblockheader',
      );
      const height = expectInt(best.height, 'getblockheader.height') - confirmations + 1;
      const blockHash = await this.call('getblockhash', [height]);
      if (typeof blockHash === 'string') {
        const confirmed = await this.confirmedIn(txid, blockHash);
        if (confirmed) return confirmed;
      }
    }
    return { state: 'unknown', confirmations: 0 };
  }

  private async inMempool(txid: string): Promise<boolean> {
    try {
      await this.call('getmempoolentry', [txid]);
      return true;
    } catch (e) {
      // RPC_INVALID_ADDRESS_OR_KEY (-5) "Transaction not in mempool"
      if (e instanceof BitcoinRpcError && e.rpcCode === -5) return false;
      throw e;
    }
  }

  /** The status if `blockHash` is in the active chain and holds `txid`, else null. */
  private async confirmedIn(txid: string, blockHash: string): Promise<TxStatus | null> {
    let tx: Record<string, unknown>;
    try {
      tx = expectRecord(
        await this.call('getrawtransaction', [txid, true, blockHash]),
        'getrawtransaction',
      );
    } catch (e) {
      // -5: no such block, or the block does not hold the transaction.
      if (e instanceof BitcoinRpcError && e.rpcCode === -5) return null;
      throw e;
    }
    if (tx.in_active_chain !== true) return null;
    const header = expectRecord(
      await this.call('getblockheader', [blockHash, true]),
      'getblockheader',
    );
    const blockHeight = expectInt(header.height, 'getblockheader.height');
    // The header counts confirmations itself (-1 once the block left the active chain).
    const confirmations = expectInt(header.confirmations, 'confirmations');
    if (confirmations < 1) return null;
    return { state: 'confirmed', confirmations, blockHash, blockHeight };
  }
}
