/**
 * The worker's state manager on its own (pure logic over an in-memory multi-version memory):
 * lazy accounts read only the fields the EVM looks at, and still behave exactly like the
 * eager accounts @ethereumjs/vm expects, including an account object put back after the
 * transaction changed the same account through another object.
 */
import { Account, Address, hexToBytes, KECCAK256_NULL } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { describe, expect, it } from 'vitest';
import { ExecutionFault } from '../../../src/execution/errors.ts';
import { FeeLedger } from '../../../src/execution/parallel/fees.ts';
import { MVMemory } from '../../../src/execution/parallel/mvmemory.ts';
import { explicitPreView } from '../../../src/execution/parallel/preView.ts';
import { VersionedState } from '../../../src/execution/parallel/versionedState.ts';
import type { PreState } from '../../../src/execution/types.ts';

const CONTRACT = 'c0'.repeat(20);
const EOA = 'e0'.repeat(20);
const EMPTY = 'ee'.repeat(20);
const COINBASE = 'cb'.repeat(20);
const at = (addr: string) => new Address(hexToBytes(`0x${addr}`));

function stateOver(pre: PreState): { state: VersionedState; mv: MVMemory } {
  const mv = new MVMemory();
  const state = new VersionedState({
    mv,
    pre: explicitPreView(pre, keccak_256),
    fees: new FeeLedger(4),
    codes: new Map(),
    coinbase: COINBASE,
    keccak256: keccak_256,
  });
  return { state, mv };
}

const PRE: PreState = new Map([
  [`0x${CONTRACT}`, { nonce: 1n, balance: 0n, code: Uint8Array.of(0x00), storage: new Map() }],
  [`0x${EOA}`, { nonce: 3n, balance: 500n, code: new Uint8Array(0), storage: new Map() }],
  [`0x${EMPTY}`, { nonce: 0n, balance: 0n, code: new Uint8Array(0), storage: new Map() }],
]);

const readKeys = (s: VersionedState) => [...s.reads.versions.keys()];

describe('VersionedState', () => {
  it('reads only existence when an account is fetched, and each field on first use', async () => {
    const { state } = stateOver(PRE);
    state.begin(1);
    const acc = (await state.getAccount(at(EOA))) as Account;
    expect(readKeys(state)).toEqual([`e${EOA}`]);
    expect(acc.balance).toBe(500n);
    expect(readKeys(state)).toEqual([`e${EOA}`, `b${EOA}`]);
    expect(acc.nonce).toBe(3n);
    expect(acc.codeHash).toEqual(KECCAK256_NULL);
  });

  it('decides a contract non-empty by its code, without reading its balance', async () => {
    const { state } = stateOver(PRE);
    state.begin(1);
    const acc = (await state.getAccount(at(CONTRACT))) as Account;
    expect(acc.isEmpty()).toBe(false);
    expect(readKeys(state)).not.toContain(`b${CONTRACT}`);
    const empty = (await state.getAccount(at(EMPTY))) as Account;
    expect(empty.isEmpty()).toBe(true);
  });

  it('puts back what an object held when it was fetched, not a newer value (a stale put)', async () => {
    const { state } = stateOver(PRE);
    state.begin(1);
    const stale = (await state.getAccount(at(EOA))) as Account; // balance not loaded yet
    const fresh = (await state.getAccount(at(EOA))) as Account;
    fresh.balance = 7n;
    await state.putAccount(at(EOA), fresh);
    stale.nonce = 4n;
    await state.putAccount(at(EOA), stale);
    const now = (await state.getAccount(at(EOA))) as Account;
    // an eager Account would have carried balance 500 from its fetch: so must the lazy one
    expect([now.nonce, now.balance]).toEqual([4n, 500n]);
    expect(state.writeSet(0n)).toEqual([[`n${EOA}`, 4n]]);
  });

  it('writes only the fields that changed', async () => {
    const { state } = stateOver(PRE);
    state.begin(1);
    const acc = (await state.getAccount(at(CONTRACT))) as Account;
    await state.putAccount(at(CONTRACT), acc); // a zero-value call's touch
    const eoa = (await state.getAccount(at(EOA))) as Account;
    eoa.balance -= 100n;
    await state.putAccount(at(EOA), eoa);
    expect(state.writeSet(0n)).toEqual([[`b${EOA}`, 400n]]);
  });

  it('zeroes the fields of a deleted account, and re-creating it writes no redundant field', async () => {
    const { state, mv } = stateOver(PRE);
    state.begin(1);
    await state.getAccount(at(EOA));
    await state.deleteAccount(at(EOA));
    const deletion = state.writeSet(0n);
    expect(new Map(deletion)).toEqual(
      new Map<string, unknown>([
        [`r${EOA}`, true],
        [`e${EOA}`, false],
        [`n${EOA}`, 0n],
        [`b${EOA}`, 0n],
        [`c${EOA}`, KECCAK256_NULL_HEX],
      ]),
    );
    mv.record(1, 0, deletion);
    state.begin(2);
    expect(await state.getAccount(at(EOA))).toBeUndefined();
    const created = new Account(0n, 9n);
    await state.putAccount(at(EOA), created);
    // existence read false: the fields are known to be zero (keys.ts), only these change
    expect(state.writeSet(0n)).toEqual([
      [`e${EOA}`, true],
      [`b${EOA}`, 9n],
    ]);
  });

  it('refuses an account object kept from an earlier incarnation', async () => {
    const { state } = stateOver(PRE);
    state.begin(1);
    const kept = (await state.getAccount(at(EOA))) as Account;
    state.begin(1);
    expect(() => kept.balance).toThrow(ExecutionFault);
    await expect(state.putAccount(at(EOA), kept)).rejects.toThrow(ExecutionFault);
  });
});

const KECCAK256_NULL_HEX = Buffer.from(KECCAK256_NULL).toString('hex');
