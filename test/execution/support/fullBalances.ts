/**
 * Random batches around balances at or near 2^256 - 1, for the parallel executor's credit
 * rules (src/execution/README.md): value sent to full accounts (EOAs, and contracts that stop,
 * read their own balance, burn gas or revert), directly and through a contract that reads the
 * callee's balance before or after its CALL; senders funded or not depending on whether such
 * a CALL failed, and transactions from them (rejected when unfunded); senders whose last wei
 * decides whether they can pay a later transaction; full senders spending; balance reads in
 * later transactions; at times a batch gas limit tight enough for burnt gas to decide where
 * the batch is rejected. Deterministic in the seed (generator.ts prng).
 */
import { asm, BALANCER, REVERTER, word } from './contracts.ts';
import { keyFrom, pickWeighted, prng } from './generator.ts';
import { type BatchSpec, batchFile, type Key, signTx, type TxSpec } from './txs.ts';

const MAX = 2n ** 256n - 1n;
const at = (byte: string): string => `0x${byte.repeat(20)}`;
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

/**
 * calldata [target][value][mode]: mode bit 0 stores BALANCE(target) before the CALL (slot 1),
 * bit 1 after it (slot 2); the CALL's success goes to slot 0.
 */
const FORWARDER = asm(`0x40 CALLDATALOAD 0x01 AND ISZERO @call JUMPI
  0x00 CALLDATALOAD BALANCE 0x01 SSTORE
  call: 0x00 0x00 0x00 0x00 0x20 CALLDATALOAD 0x00 CALLDATALOAD 0xffff CALL 0x00 SSTORE
  0x40 CALLDATALOAD 0x02 AND ISZERO @end JUMPI
  0x00 CALLDATALOAD BALANCE 0x02 SSTORE
  end: STOP`);

/** calldata [target][beneficiary][when]: CALL(target, 1); pays the beneficiary 2,000,000 wei
 *  if the CALL's success equals `when` */
const FUNDER = asm(`0x00 0x00 0x00 0x00 0x01 0x00 CALLDATALOAD 0xffff CALL
  0x40 CALLDATALOAD EQ @fund JUMPI STOP
  fund: 0x00 0x00 0x00 0x00 0x1e8480 0x20 CALLDATALOAD 0xffff CALL POP STOP`);

/** counts 2,304 down and stops: about 60,000 gas, no revert */
const BURNER = asm('0x0900 loop: 0x01 SWAP1 SUB DUP1 @loop JUMPI STOP');
const SELF_READER = asm('SELFBALANCE 0x00 SSTORE STOP');

const A = {
  forwarder: at('d1'),
  funder: at('d2'),
  balancer: at('d3'),
  fullEoa: at('f1'),
  fullStop: at('f2'),
  fullSelfReader: at('f3'),
  fullBurner: at('f4'),
  fullReverter: at('f5'),
};

/** 21,000 gas at the base fee (7) and no tip: a thin sender's every transaction costs this */
const CHEAP = { gasLimit: 21_000n, maxFee: 7n, tip: 0n, type: 2 } as const;
const THIN_BALANCE = 2n * 21_000n * 7n;

interface Parties {
  pre: BatchSpec['pre'];
  senders: Key[];
  fullKeys: Key[];
  /** senders with exactly two cheap transactions' worth: a wei sent away decides the second */
  thin: Key[];
  /** keys only a FUNDER call may fund */
  unfunded: Key[];
  /** accounts at or near 2^256 - 1 */
  full: string[];
  /** every full account has room for the batch's credits: no CALL into one fails */
  roomy: boolean;
  ordinary: string[];
}

function parties(rand: () => number, pick: <T>(xs: T[]) => T): Parties {
  // Some batches leave room for every credit they make: credit mode then runs to the end.
  const roomy = rand() < 0.4;
  const margins = roomy ? [10n ** 9n] : [0n, 0n, 0n, 1n, 2n];
  const nearMax = (): bigint => MAX - pick(margins);
  const keys = (n: number): Key[] => Array.from({ length: n }, () => keyFrom(rand));
  const [funded, fullKeys, thin, unfunded] = [keys(6), keys(2), keys(2), keys(3)];
  const ordinary = keys(2).map((k) => k.address);
  const pre: BatchSpec['pre'] = {
    [A.forwarder]: { code: FORWARDER, balance: 10n ** 18n },
    [A.funder]: { code: FUNDER, balance: 10n ** 18n },
    [A.balancer]: { code: BALANCER },
    [A.fullEoa]: { balance: nearMax() },
    [A.fullStop]: { code: asm('STOP'), balance: nearMax() },
    [A.fullSelfReader]: { code: SELF_READER, balance: nearMax() },
    [A.fullBurner]: { code: BURNER, balance: nearMax() },
    [A.fullReverter]: { code: REVERTER, balance: nearMax() },
  };
  for (const k of funded) pre[k.address] = { balance: 10n ** 18n };
  for (const k of fullKeys) pre[k.address] = { balance: nearMax() };
  for (const k of thin) pre[k.address] = { balance: THIN_BALANCE };
  for (const a of ordinary) pre[a] = { balance: 1_000n };
  const full = [...Object.values(A).slice(3), ...fullKeys.map((k) => k.address)];
  const senders = [...funded, ...fullKeys];
  return { pre, senders, fullKeys, thin, unfunded, full, roomy, ordinary };
}

class BatchBuilder {
  readonly specs: TxSpec[] = [];
  readonly keys: Key[] = [];
  private readonly nonces = new Map<string, bigint>();

  constructor(private readonly rand: () => number) {}

  nonceOf(k: Key): bigint {
    return this.nonces.get(k.address) ?? 0n;
  }

  send(k: Key, spec: Omit<TxSpec, 'nonce'>): void {
    const nonce = this.nonceOf(k);
    this.nonces.set(k.address, nonce + 1n);
    const tip = BigInt(Math.floor(this.rand() * 3));
    const type = [0, 1, 2][Math.floor(this.rand() * 3)] as 0 | 1 | 2;
    const maxFee = 7n + tip + BigInt(Math.floor(this.rand() * 4));
    this.specs.push({ gasLimit: 150_000n, tip, maxFee, type, ...spec, nonce });
    this.keys.push(k);
  }
}

function actions(p: Parties, b: BatchBuilder, rand: () => number): [number, () => void][] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const small = (): bigint => BigInt(1 + Math.floor(rand() * 3));
  const targets = [...p.full, ...p.ordinary];
  const mentioned: Key[] = [];
  const anyone = (): Key => pick(p.senders);
  return [
    [3, () => b.send(anyone(), { to: pick(targets), value: pick([0n, small(), 10n ** 6n]) })],
    [
      3,
      () => {
        const mode = BigInt(Math.floor(rand() * 4));
        const data = hex(word(pick(targets)) + word(small()) + word(mode));
        b.send(anyone(), { to: A.forwarder, data });
      },
    ],
    [
      4,
      () => {
        const beneficiary = pick(p.unfunded);
        if (!mentioned.includes(beneficiary)) mentioned.push(beneficiary);
        // mostly funding the beneficiary when the CALL behaves as the margins make likely
        const likely = p.roomy ? 1n : 0n;
        const when = rand() < 0.75 ? likely : 1n - likely;
        const data = hex(word(pick(p.full)) + word(beneficiary.address) + word(when));
        b.send(anyone(), { to: A.funder, data });
      },
    ],
    [
      3,
      () =>
        mentioned.length > 0
          ? b.send(pick(mentioned), { to: pick(targets), value: 0n, gasLimit: 21_000n })
          : b.send(anyone(), { to: pick(p.ordinary), value: small() }),
    ],
    [
      3,
      () => {
        const k = p.thin.find((t) => b.nonceOf(t) < 2n);
        if (k === undefined) return b.send(anyone(), { to: pick(p.full), value: 1n });
        // the first pays 1 wei to a full account: refused, it leaves exactly the second's cost
        const first = b.nonceOf(k) === 0n && !p.roomy;
        b.send(k, {
          ...CHEAP,
          to: first ? pick(p.full) : pick(p.ordinary),
          value: first ? 1n : 0n,
        });
      },
    ],
    [2, () => b.send(pick(p.fullKeys), { to: pick(targets), value: 10n ** 6n })],
    [2, () => b.send(anyone(), { to: A.balancer, data: hex(word(pick(targets))) })],
    [2, () => b.send(anyone(), { to: pick(p.ordinary), value: small(), gasLimit: 21_000n })],
  ];
}

export function fullBalanceBatch(seed: number): Record<string, unknown> {
  const rand = prng(seed);
  const p = parties(rand, <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T);
  const b = new BatchBuilder(rand);
  const weighted = actions(p, b, rand);
  const total = weighted.reduce((a, [w]) => a + w, 0);
  const size = 12 + Math.floor(rand() * 20);
  while (b.specs.length < size) pickWeighted(weighted, rand() * total)();
  const gasLimit = rand() < 0.3 ? tightGasLimit(b.specs, rand) : 30_000_000n;
  const txs = b.specs.map((spec, i) => signTx(b.keys[i] as Key, spec));
  return batchFile({ pre: p.pre, txs, gasLimit });
}

/** A sixth to a half of what the transactions may use (they use less), never below one of them. */
function tightGasLimit(specs: TxSpec[], rand: () => number): bigint {
  const limits = specs.map((s) => Number(s.gasLimit));
  const sum = limits.reduce((a, b) => a + b, 0);
  const tight = Math.floor(sum * (0.16 + rand() * 0.34));
  return BigInt(Math.max(tight, ...limits));
}
