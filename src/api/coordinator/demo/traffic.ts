/**
 * `custody start --demo`: a demo account funded in a demo genesis, and a batch of its
 * transactions every few seconds (transfers, and withdrawals through the bridge to the demo
 * node's wallet, or to fresh P2WPKH scripts without a node), submitted through the same intake
 * as `POST /v1/batches`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { bytesToHex, createAddressFromString, privateToAddress } from '@ethereumjs/util';
import { BRIDGE_ADDRESS } from '../../../execution/bridge/artifact.ts';
import { encodeWithdraw, WEI_PER_SAT } from '../../../execution/bridge/withdraw-call.ts';
import { makeCommon } from '../../../execution/crypto.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Db } from '../../../store/store.ts';
import { checkSubmittedTxs } from '../batch-intake.ts';
import { storeSubmitted } from '../batches.ts';
import type { NodeWorldState } from '../world-state.ts';

const DEMO_CHAIN_ID = 4242;

export interface DemoAccount {
  priv: Uint8Array;
  address: string;
}

/** The demo account's key, made once per DATA_DIR (readable by its owner only). */
export function demoAccount(dataDir: string): DemoAccount {
  const dir = path.join(dataDir, 'demo');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'account.key');
  if (!existsSync(file)) {
    writeFileSync(file, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'), {
      mode: 0o600,
    });
  }
  const priv = Uint8Array.from(Buffer.from(readFileSync(file, 'utf8').trim(), 'hex'));
  return { priv, address: bytesToHex(privateToAddress(priv)) };
}

/** A genesis funding the demo account (written once, so a restart continues the same chain). */
export function demoGenesis(dataDir: string, account: DemoAccount): string {
  const file = path.join(dataDir, 'demo', 'genesis.json');
  if (!existsSync(file)) {
    const alloc = { [account.address]: { balance: `0x${(10n ** 26n).toString(16)}` } };
    writeFileSync(
      file,
      `${JSON.stringify({ config: { chainId: DEMO_CHAIN_ID }, alloc }, null, 2)}\n`,
    );
  }
  return file;
}

export interface DemoTrafficOpts {
  db: Db;
  world: NodeWorldState;
  account: DemoAccount;
  gasLimit: bigint;
  baseFee: bigint;
  intervalMs: number;
  /** A script to pay a withdrawal to (the demo node's wallet, or a fresh one). */
  payee: () => Promise<string>;
  kick: () => void;
  log: Logger;
}

/** Submits a batch every `intervalMs` while the previous one has executed; returns stop(). */
export function startDemoTraffic(opts: DemoTrafficOpts): () => void {
  const common = makeCommon(opts.world.chainId, 'fast');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    // One batch in flight at a time, so the nonce read from the head is the next one.
    if ((await opts.db.batch.count({ where: { status: 'received' } })) > 0) return;
    const sm = opts.world.ws.stateManagerAt();
    const acct = await sm.getAccount(createAddressFromString(opts.account.address));
    let nonce = acct?.nonce ?? 0n;
    const sign = (
      to: string,
      value: bigint,
      data: Uint8Array = new Uint8Array(0),
      gasLimit = 21_000n,
    ) =>
      bytesToHex(
        createFeeMarket1559Tx(
          {
            nonce: nonce++,
            to: createAddressFromString(to),
            value,
            data,
            gasLimit,
            maxFeePerGas: opts.baseFee,
            maxPriorityFeePerGas: 0n,
            chainId: opts.world.chainId,
          },
          { common },
        )
          .sign(opts.account.priv)
          .serialize(),
      );
    const txs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const to = bytesToHex(crypto.getRandomValues(new Uint8Array(20)));
      txs.push(sign(to, 10n ** 15n));
    }
    for (let i = 0; i < 2; i++) {
      const script = new Uint8Array(Buffer.from(await opts.payee(), 'hex'));
      const sats = 10_000n + BigInt(Math.floor(Math.random() * 40_000));
      txs.push(sign(BRIDGE_ADDRESS, sats * WEI_PER_SAT, encodeWithdraw(script), 200_000n));
    }
    const checked = checkSubmittedTxs(txs, {
      chainId: opts.world.chainId,
      gasLimit: opts.gasLimit,
    });
    const stored = await storeSubmitted(opts.db, checked.txs, 'demo', undefined);
    opts.log.info({ batchId: stored.id, txs: txs.length }, 'demo: batch submitted');
    opts.kick();
  };
  const loop = () => {
    if (stopped) return;
    once()
      .catch((error: unknown) => opts.log.warn({ err: error }, 'demo: could not submit a batch'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.intervalMs);
      });
  };
  timer = setTimeout(loop, 1000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Without a node, withdrawals go to fresh P2WPKH scripts (OP_0 <20 bytes>). */
export function freshScript(): string {
  return `0014${Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString('hex')}`;
}
