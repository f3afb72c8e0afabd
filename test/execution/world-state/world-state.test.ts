import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  createAccount,
  hexToBytes,
  setLengthLeft,
} from '@ethereumjs/util';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeAlloc } from '../../../src/execution/bridge/alloc.ts';
import { BRIDGE_ADDRESS, BRIDGE_RUNTIME_CODE } from '../../../src/execution/bridge/artifact.ts';
import { type GenesisAlloc, parseGenesisFile } from '../../../src/execution/world-state/genesis.ts';
import {
  genesisRoot,
  openWorldState,
  StalePreStateError,
  type WorldState,
} from '../../../src/execution/world-state/world-state.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../src/shared/errors.ts';

const dirs: string[] = [];
const open: WorldState[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'world-state-'));
  dirs.push(dir);
  return dir;
}
async function openWs(dir: string, genesis?: GenesisAlloc): Promise<WorldState> {
  const ws = await openWorldState(dir, genesis === undefined ? {} : { genesis });
  open.push(ws);
  return ws;
}
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ALICE = '0x00000000000000000000000000000000000a11ce';
const BOB = 'b0b0000000000000000000000000000000000b0b'; // geth allows keys without 0x
const GENESIS: GenesisAlloc = {
  [ALICE]: { balance: '0xde0b6b3a7640000', nonce: '0x3' },
  [BOB]: {
    balance: '0x1',
    code: '0x600160005500',
    storage: { '0x01': '0x2a', [`0x${'ff'.repeat(32)}`]: `0x${'00'.repeat(31)}07`, '0x02': '0x00' },
  },
  ...bridgeAlloc('regtest'),
};

const addr = (hex: string) =>
  new Address(hexToBytes(hex.startsWith('0x') ? (hex as `0x${string}`) : `0x${hex}`));
const word = (n: bigint) => setLengthLeft(bigIntToBytes(n), 32);

describe('genesis from a geth-style alloc', () => {
  it('has the root @ethereumjs computes for the same accounts through its own genesis path', async () => {
    const ws = await openWs(tempDir(), GENESIS);
    const reference = new MerkleStateManager();
    await reference.generateCanonicalGenesis({
      [ALICE]: ['0xde0b6b3a7640000', '0x', [], '0x3'],
      [`0x${BOB}`]: [
        '0x1',
        '0x600160005500',
        [
          [bytesToHex(word(1n)), '0x2a'],
          [bytesToHex(word(2n ** 256n - 1n)), '0x07'],
        ],
        '0x0',
      ],
      [BRIDGE_ADDRESS]: [
        '0x0',
        BRIDGE_RUNTIME_CODE as `0x${string}`,
        [1n, 2n, 3n, 4n, 5n].map((slot, i) => [
          bytesToHex(word(slot)),
          `0x${[546, 540, 294, 330, 330][i]!.toString(16)}`,
        ]) as [`0x${string}`, `0x${string}`][],
        '0x1',
      ],
    });
    expect(ws.headRoot()).toBe(bytesToHex(await reference.getStateRoot()));
    expect(ws.head()).toMatchObject({ height: 0, genesisRoot: ws.headRoot() });
    expect(await genesisRoot(GENESIS)).toBe(ws.headRoot());
    const sm = ws.stateManagerAt();
    expect((await sm.getAccount(addr(ALICE)))?.nonce).toBe(3n);
    expect(bytesToHex(await sm.getStorage(addr(BOB), word(1n)))).toBe('0x2a');
    expect(bytesToHex(await sm.getCode(addr(BRIDGE_ADDRESS)))).toBe(BRIDGE_RUNTIME_CODE);
  });

  it('refuses an alloc with a malformed field, naming it', async () => {
    const bad = { [ALICE]: { balance: 'lots' } } as unknown as GenesisAlloc;
    await expect(openWorldState(tempDir(), { genesis: bad })).rejects.toThrow(
      /alloc\[0x00000000000000000000000000000000000a11ce\]\.balance/,
    );
    const shortAddress = { '0x1234': { balance: '0x1' } };
    await expect(openWorldState(tempDir(), { genesis: shortAddress })).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('refuses to continue a directory created from another genesis', async () => {
    const dir = tempDir();
    await (await openWs(dir, GENESIS)).close();
    await expect(openWorldState(dir, { genesis: { [ALICE]: { balance: '0x5' } } })).rejects.toThrow(
      ConflictError,
    );
  });
});

describe('persistence across batches and restarts', () => {
  it('the post-state of one commit is the pre-state of the next, and survives a reopen', async () => {
    const dir = tempDir();
    let ws = await openWs(dir, GENESIS);
    const sm = ws.stateManagerAt();
    await sm.putAccount(addr(ALICE), createAccount({ balance: 5n, nonce: 4n }));
    await sm.putStorage(addr(BOB), word(9n), hexToBytes('0x1234'));
    const first = await ws.commitFrom(sm);
    expect(first.height).toBe(1);
    expect(first.nodesWritten).toBeGreaterThan(0);
    // the same state manager continues as the next batch's pre-state
    await sm.putAccount(addr(ALICE), createAccount({ balance: 6n, nonce: 5n }));
    const second = await ws.commitFrom(sm);
    expect(second).toMatchObject({ height: 2 });
    expect(second.root).not.toBe(first.root);
    await ws.close();

    ws = await openWs(dir, GENESIS);
    expect(ws.head()).toMatchObject({ root: second.root, height: 2 });
    const reopened = ws.stateManagerAt();
    expect((await reopened.getAccount(addr(ALICE)))?.balance).toBe(6n);
    expect(bytesToHex(await reopened.getStorage(addr(BOB), word(9n)))).toBe('0x1234');
    expect(bytesToHex(await reopened.getStorage(addr(BOB), word(1n)))).toBe('0x2a');
    // a past head stays readable
    const past = ws.stateManagerAt(first.root);
    expect((await past.getAccount(addr(ALICE)))?.balance).toBe(5n);
    expect(ws.hasState(first.root)).toBe(true);
  });

  it('writes nothing to disk before commit: an uncommitted state is gone after a reopen', async () => {
    const dir = tempDir();
    let ws = await openWs(dir, GENESIS);
    const root = ws.headRoot();
    const sm = ws.stateManagerAt();
    await sm.putAccount(addr(ALICE), createAccount({ balance: 99n }));
    const uncommitted = bytesToHex(await sm.getStateRoot());
    await ws.close();
    ws = await openWs(dir);
    expect(ws.headRoot()).toBe(root);
    expect(ws.hasState(uncommitted)).toBe(false);
    expect(() => ws.stateManagerAt(uncommitted)).toThrow(NotFoundError);
  });
});

describe('stale pre-state', () => {
  it('refuses a batch executed on a state that is no longer the head', async () => {
    const ws = await openWs(tempDir(), GENESIS);
    const genesis = ws.headRoot();
    const a = ws.stateManagerAt();
    const b = ws.stateManagerAt();
    await a.putAccount(addr(ALICE), createAccount({ balance: 1n }));
    await b.putAccount(addr(ALICE), createAccount({ balance: 2n }));
    const committed = await ws.commitFrom(a);

    const refusal = ws.commitFrom(b);
    await expect(refusal).rejects.toThrow(StalePreStateError);
    await expect(refusal).rejects.toMatchObject({ status: 409, extensions: { expected: genesis } });
    expect(ws.head()).toMatchObject({ root: committed.root, height: 1 });
    expect(() => ws.ensurePreStateRoot(genesis)).toThrow(ConflictError);
    expect(() => ws.ensurePreStateRoot(committed.root)).not.toThrow();
    expect(() => ws.ensurePreStateRoot('0x1234')).toThrow(/preStateRoot: expected 32 bytes/);
  });

  it('refuses a state manager this world state did not open', async () => {
    const ws = await openWs(tempDir(), GENESIS);
    await expect(ws.commitFrom(new MerkleStateManager())).rejects.toThrow(InvalidInputError);
  });
});

describe('geth genesis file', () => {
  it('takes config.chainId and alloc, and names the field it refuses', () => {
    const parsed = parseGenesisFile({
      config: { chainId: 4242, cancunTime: 0 },
      alloc: GENESIS,
      nonce: '0x0',
    });
    expect(parsed.chainId).toBe(4242n);
    expect(parsed.alloc).toBe(GENESIS);
    expect(() => parseGenesisFile({ config: { chainId: '4242' }, alloc: {} })).toThrow(
      /genesis\.config\.chainId/,
    );
    expect(() => parseGenesisFile({ config: { chainId: 1 }, alloc: [] })).toThrow(/genesis\.alloc/);
    expect(() => parseGenesisFile(null)).toThrow(InvalidInputError);
  });
});
