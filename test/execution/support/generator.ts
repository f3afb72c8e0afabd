/**
 * Random batches for differential testing: a deterministic PRNG seeded from
 * crypto.getRandomValues (the seed is printed on failure, so any failure can be replayed).
 * Each batch mixes the hazards the issue lists: shared recipients, a hot counter, creation
 * followed by calls, CREATE2 (with colliding salts), SELFDESTRUCT in both EIP-6780 cases,
 * reverts, out-of-gas, nonce chains, senders funded earlier in the batch, coinbase transfers
 * and reads, zero-value touches of empty accounts, storage clears with refunds; and, for the
 * per-field memory, value sent into contracts that others call, and code and balance probes of
 * accounts whose other fields change.
 */
import { generateAddress, privateToAddress } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bridgeAlloc } from '../../../src/execution/bridge/alloc.ts';
import { BRIDGE_ADDRESS } from '../../../src/execution/bridge/artifact.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';
import {
  COUNTER,
  DESTRUCTOR,
  FACTORY,
  initCode,
  POOL,
  PROBER,
  READER,
  REVERTER,
  SETTER,
  SPINNER,
  SUICIDAL_INIT,
  TOKEN,
  word,
} from './contracts.ts';
import { type BatchSpec, batchFile, type Key, signTx, type TxSpec } from './txs.ts';

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}

/** mulberry32: small, deterministic, good enough to pick test actions. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const addr = (byte: string): string => `0x${byte.repeat(20)}`;
export const C = {
  token: addr('a1'),
  counter: addr('a2'),
  setter: addr('a3'),
  factory: addr('a4'),
  reader: addr('a5'),
  destructor: addr('a6'),
  reverter: addr('a7'),
  spinner: addr('a8'),
  pool: addr('a9'),
  prober: addr('aa'),
  empty1: addr('e1'),
  empty2: addr('e2'),
};

export function keyFrom(rand: () => number): Key {
  const priv = new Uint8Array(32);
  for (let i = 0; i < 32; i++) priv[i] = Math.floor(rand() * 256);
  priv[0] = (priv[0] as number) & 0x7f; // stay below the curve order
  priv[31] = (priv[31] as number) | 1; // never zero
  return { priv, address: bytesToHex(privateToAddress(priv)) };
}

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

export function randomBatch(seed: number, size: number): Record<string, unknown> {
  const rand = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const funded = Array.from({ length: 8 }, () => keyFrom(rand));
  const unfunded = Array.from({ length: 3 }, () => keyFrom(rand));
  const shared = Array.from({ length: 3 }, () => keyFrom(rand).address);
  const coinbase = rand() < 0.3 ? (funded[0] as Key).address : keyFrom(rand).address;
  const tokenStorage: Record<string, string> = {};
  for (const k of funded) tokenStorage[k.address] = '0x3635c9adc5dea00000';
  const pre: BatchSpec['pre'] = {
    [C.token]: { code: TOKEN, storage: tokenStorage },
    [C.counter]: { code: COUNTER, storage: { '0x0': '0x5' } },
    [C.setter]: { code: SETTER, storage: { '0x1': '0x11', '0x2': '0x22', '0x3': '0x33' } },
    [C.factory]: { code: FACTORY },
    [C.reader]: { code: READER },
    [C.destructor]: { code: DESTRUCTOR, balance: 12345n },
    [C.reverter]: { code: REVERTER },
    [C.spinner]: { code: SPINNER },
    [C.pool]: { code: POOL, storage: { '0x0': '0xf4240', '0x1': '0xf4240' } },
    [C.prober]: { code: PROBER },
    [C.empty1]: {},
    [C.empty2]: {},
  };
  for (const k of funded) pre[k.address] = { balance: 10n ** 20n };
  const bridge = bridgeAlloc('litecoin-regtest')[BRIDGE_ADDRESS] as {
    code: string;
    storage: Record<string, string>;
  };
  pre[BRIDGE_ADDRESS] = { nonce: 1n, code: bridge.code, storage: bridge.storage };
  const nonces = new Map<string, bigint>();
  const senders = [...funded];
  const created: string[] = [];
  const txs: string[] = [];

  // accounts whose code, balance or nonce other transactions change
  const probed = (): string[] => [
    ...shared,
    C.token,
    C.factory,
    C.destructor,
    C.empty1,
    coinbase,
    ...created,
  ];

  const send = (k: Key, spec: Omit<TxSpec, 'nonce'>): void => {
    const nonce = nonces.get(k.address) ?? 0n;
    nonces.set(k.address, nonce + 1n);
    const type = pick([0, 0, 1, 2, 2, 2]) as 0 | 1 | 2;
    const tip = BigInt(Math.floor(rand() * 4));
    const maxFee = 7n + tip + BigInt(Math.floor(rand() * 10));
    txs.push(
      signTx(k, { ...spec, nonce, type, maxFee, tip, unprotected: type === 0 && rand() < 0.3 }),
    );
  };

  const actions: [number, (k: Key) => void][] = [
    [
      10,
      (k) =>
        send(k, {
          to: rand() < 0.5 ? pick(shared) : keyFrom(rand).address,
          value: BigInt(Math.floor(rand() * 1e6)),
        }),
    ],
    [
      12,
      (k) =>
        send(k, {
          to: C.token,
          data: hex(word(pick(shared)) + word(BigInt(Math.floor(rand() * 1000)))),
        }),
    ],
    [6, (k) => send(k, { to: C.counter })],
    [
      4,
      (k) => {
        const nonce = nonces.get(k.address) ?? 0n;
        created.push(bytesToHex(generateAddress(hex(k.address), bigintBytes(nonce))));
        send(k, { data: hex(initCode(COUNTER)), gasLimit: 200_000n });
      },
    ],
    [4, (k) => (created.length > 0 ? send(k, { to: pick(created) }) : send(k, { to: C.counter }))],
    [
      4,
      (k) =>
        send(k, {
          to: C.factory,
          data: hex(word(BigInt(Math.floor(rand() * 3))) + initCode(COUNTER).slice(2)),
          gasLimit: 300_000n,
        }),
    ],
    [2, (k) => send(k, { to: C.destructor, value: BigInt(Math.floor(rand() * 100)) })],
    [2, (k) => send(k, { data: hex(SUICIDAL_INIT), value: 77n, gasLimit: 200_000n })],
    [3, (k) => send(k, { to: C.reverter, value: 5n })],
    [2, (k) => send(k, { to: C.spinner, gasLimit: 40_000n })],
    [2, (k) => send(k, { to: C.counter, gasLimit: 21_100n })],
    [
      4,
      (k) =>
        send(k, {
          to: C.setter,
          data: hex(word(BigInt(1 + Math.floor(rand() * 4))) + word(rand() < 0.6 ? 0n : 9n)),
        }),
    ],
    [3, (k) => send(k, { to: coinbase, value: 1000n })],
    [3, (k) => send(k, { to: C.reader, data: hex(word(pick(probed()))) })],
    [
      3,
      (k) =>
        send(k, {
          to: pick([C.token, C.counter, C.pool, ...created]),
          value: BigInt(1 + Math.floor(rand() * 1000)),
          data: hex(word(pick(shared)) + word(BigInt(Math.floor(rand() * 10)))),
        }),
    ],
    [3, (k) => send(k, { to: C.prober, data: hex(word(pick(probed()))) })],
    [3, (k) => send(k, { to: pick([C.empty1, C.empty2, keyFrom(rand).address]), value: 0n })],
    [4, (k) => send(k, { to: C.pool, data: hex(word(BigInt(1 + Math.floor(rand() * 5000)))) })],
    [
      4,
      (k) => {
        // withdraw(p2wpkh script): 3,000+ sats clears litecoin-regtest dust (2,940); 100 reverts
        const sats = rand() < 0.75 ? 3_000n + BigInt(Math.floor(rand() * 1000)) : 100n;
        const script = `0014${word(BigInt(Math.floor(rand() * 1e9))).slice(24)}`;
        send(k, {
          to: BRIDGE_ADDRESS,
          value: sats * 10n ** 10n,
          data: encodeWithdraw(script),
          gasLimit: 150_000n,
        });
      },
    ],
    [
      3,
      (k) => {
        const fresh = unfunded.find((u) => !senders.includes(u));
        if (fresh === undefined) return send(k, { to: pick(shared), value: 1n });
        send(k, { to: fresh.address, value: funded.includes(k) ? 10n ** 17n : 10n ** 15n });
        senders.push(fresh);
      },
    ],
  ];
  const total = actions.reduce((a, [w]) => a + w, 0);
  while (txs.length < size) {
    pickWeighted(actions, rand() * total)(pick(senders));
  }
  return batchFile({ pre, txs, coinbase });
}

export function pickWeighted<T>(items: [number, T][], point: number): T {
  let left = point;
  for (const [weight, item] of items) {
    if (left < weight) return item;
    left -= weight;
  }
  return (items[items.length - 1] as [number, T])[1];
}

/** ABI call data of `withdraw(bytes scriptPubKey)`. */
function encodeWithdraw(scriptHex: string): Uint8Array {
  const selector = Buffer.from(keccak_256(new TextEncoder().encode('withdraw(bytes)')))
    .subarray(0, 4)
    .toString('hex');
  const len = scriptHex.length / 2;
  const padded = scriptHex.padEnd(Math.ceil(len / 32) * 64, '0');
  return hex(selector + word(32n) + word(BigInt(len)) + padded);
}

function bigintBytes(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array();
  const h = n.toString(16);
  return hex(h.length % 2 === 0 ? h : `0${h}`);
}
