import { Address, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_ADDRESS } from '../../../src/execution/bridge/artifact.ts';
import { extractWithdrawals } from '../../../src/execution/bridge/withdrawals.ts';
import { dustProfile, NETWORK_NAMES, SCRIPT_TYPES } from '../../../src/shared/networks.ts';
import {
  type BridgeHarness,
  bridgeHarness,
  encodeWithdraw,
  errorSelector,
  WEI_PER_SAT,
} from './harness.ts';
import { randomBytes, standardScript } from './scripts.ts';

const BELOW_DUST = errorSelector('AmountBelowDust(uint256,uint256)');
const NOT_WHOLE_SATS = errorSelector('AmountNotWholeSatoshis(uint256)');
const NON_STANDARD = errorSelector('NonStandardScript()');
const ABOVE_MAX_MONEY = errorSelector('AmountAboveMaxMoney(uint256)');

function word(n: bigint): string {
  return n.toString(16).padStart(64, '0');
}

function revertData(result: Awaited<ReturnType<BridgeHarness['send']>>): string {
  expect(result.receipt).toHaveProperty('status', 0);
  return bytesToHex(result.execResult.returnValue);
}

describe.each(NETWORK_NAMES)('bridge on %s', (network) => {
  const dust = dustProfile(network).dustLimitSats;
  let bridge: BridgeHarness;
  beforeAll(async () => {
    bridge = await bridgeHarness(network);
  });

  it.each(SCRIPT_TYPES)(
    'accepts %s at exactly the dust limit, refuses one sat below',
    async (t) => {
      const script = standardScript(t);
      const below = await bridge.send(encodeWithdraw(script), (dust[t] - 1n) * WEI_PER_SAT);
      expect(revertData(below)).toBe(`${BELOW_DUST}${word(dust[t] - 1n)}${word(dust[t])}`);

      const indexBefore = await bridge.readSlot(0n);
      const ok = await bridge.send(encodeWithdraw(script), dust[t] * WEI_PER_SAT);
      expect(ok.receipt).toHaveProperty('status', 1);
      expect(extractWithdrawals([ok.receipt])).toEqual([
        {
          index: `0x${indexBefore.toString(16)}`,
          scriptPubKey: bytesToHex(script),
          amountSats: `0x${dust[t].toString(16)}`,
        },
      ]);
      expect(await bridge.readSlot(0n)).toBe(indexBefore + 1n);
    },
  );

  it('stores the profile dust limits in slots 1..5', async () => {
    for (const [i, t] of SCRIPT_TYPES.entries()) {
      expect(await bridge.readSlot(BigInt(i + 1))).toBe(dust[t]);
    }
  });
});

describe('bridge refuses what a settlement could not pay', () => {
  let bridge: BridgeHarness;
  beforeAll(async () => {
    bridge = await bridgeHarness('bitcoin');
  });

  it('refuses a value that is not a whole number of satoshis (wei dust lost on Bitcoin)', async () => {
    for (const value of [1n, 10_000n * WEI_PER_SAT + 1n, 10_000n * WEI_PER_SAT - 1n]) {
      const result = await bridge.send(encodeWithdraw(standardScript('p2wpkh')), value);
      expect(revertData(result)).toBe(`${NOT_WHOLE_SATS}${word(value)}`);
    }
  });

  it('refuses more than MAX_MONEY (no Bitcoin output can carry it)', async () => {
    const sats = 21_000_000n * 100_000_000n + 1n;
    const result = await bridge.send(encodeWithdraw(standardScript('p2tr')), sats * WEI_PER_SAT);
    expect(revertData(result)).toBe(`${ABOVE_MAX_MONEY}${word(sats)}`);
  });

  const h20 = () => [...randomBytes(20)];
  const h32 = () => [...randomBytes(32)];
  const malformed: [string, number[]][] = [
    ['empty script', []],
    ['P2PKH one byte short', [0x76, 0xa9, 0x14, ...h20().slice(1), 0x88, 0xac]],
    ['P2PKH with OP_EQUAL instead of OP_CHECKSIG', [0x76, 0xa9, 0x14, ...h20(), 0x88, 0x87]],
    ['P2PKH with a 0x15 push', [0x76, 0xa9, 0x15, ...h20(), 0x88, 0xac]],
    ['P2SH with OP_EQUALVERIFY', [0xa9, 0x14, ...h20(), 0x88]],
    ['P2SH with a trailing byte', [0xa9, 0x14, ...h20(), 0x87, 0x00]],
    ['P2WPKH program of 21 bytes', [0x00, 0x15, ...h20(), 0x00]],
    ['P2WPKH with a trailing byte', [0x00, 0x14, ...h20(), 0x00]],
    ['P2WPKH pushed by OP_1 (witness v1, 20 bytes)', [0x51, 0x14, ...h20()]],
    ['P2WSH program of 31 bytes', [0x00, 0x20, ...h32().slice(1)]],
    ['P2WSH with a 0x21 push', [0x00, 0x21, ...h32(), 0x00]],
    ['P2TR with witness version 2', [0x52, 0x20, ...h32()]],
    ['P2TR with witness version 16', [0x60, 0x20, ...h32()]],
    ['P2TR with OP_1NEGATE', [0x4f, 0x20, ...h32()]],
    ['P2TR with a 33-byte key', [0x51, 0x21, 0x02, ...h32()]],
    ['OP_RETURN data', [0x6a, 0x20, ...h32()]],
    ['P2PK (bare key)', [0x21, 0x02, ...h32(), 0xac]],
    ['bare 1-of-1 multisig', [0x51, 0x21, 0x02, ...h32(), 0x51, 0xae]],
  ];
  it.each(malformed)('refuses a non-standard script: %s', async (_name, script) => {
    const result = await bridge.send(
      encodeWithdraw(Uint8Array.from(script)),
      10_000n * WEI_PER_SAT,
    );
    expect(revertData(result)).toBe(NON_STANDARD);
  });

  it('refuses a plain transfer (value sent without a script would be stuck)', async () => {
    const result = await bridge.send(new Uint8Array(), 10_000n * WEI_PER_SAT);
    expect(result.receipt).toHaveProperty('status', 0);
  });
});

describe('withdrawal events from a run of the real contract', () => {
  it('numbers withdrawals sequentially and extraction keeps only successful bridge logs', async () => {
    const bridge = await bridgeHarness('litecoin-regtest');
    const scripts = SCRIPT_TYPES.map((t) => standardScript(t));
    const receipts = [];
    for (const [i, script] of scripts.entries()) {
      const ok = await bridge.send(encodeWithdraw(script), (10_000n + BigInt(i)) * WEI_PER_SAT);
      const refused = await bridge.send(encodeWithdraw(script), 1n * WEI_PER_SAT);
      receipts.push(ok.receipt, refused.receipt);
    }
    const withdrawals = extractWithdrawals(receipts);
    expect(withdrawals).toEqual(
      scripts.map((script, i) => ({
        index: `0x${i.toString(16)}`,
        scriptPubKey: bytesToHex(script),
        amountSats: `0x${(10_000 + i).toString(16)}`,
      })),
    );
    expect(await bridge.readSlot(0n)).toBe(BigInt(scripts.length));
    const log = receipts[0]!.logs[0]!;
    expect(bytesToHex(log[0])).toBe(BRIDGE_ADDRESS);
  });
});

describe('bridge bookkeeping', () => {
  it('keeps the value (burned into the predeploy) and names the sender in the event', async () => {
    const bridge = await bridgeHarness('signet');
    const bridgeAddress = new Address(hexToBytes(BRIDGE_ADDRESS));
    const before = (await bridge.vm.stateManager.getAccount(bridgeAddress))?.balance ?? 0n;
    const result = await bridge.send(encodeWithdraw(standardScript('p2sh')), 777n * WEI_PER_SAT);
    expect(result.receipt).toHaveProperty('status', 1);
    const after = (await bridge.vm.stateManager.getAccount(bridgeAddress))?.balance ?? 0n;
    expect(after - before).toBe(777n * WEI_PER_SAT);
    const [, topics] = result.receipt.logs[0]!;
    expect(bytesToHex(topics[2]!)).toBe(bytesToHex(setLengthLeft(bridge.sender.bytes, 32)));
  });

  it('refuses calldata whose bytes offset points outside it (malformed ABI)', async () => {
    const bridge = await bridgeHarness('signet');
    const data = encodeWithdraw(standardScript('p2wpkh'));
    data[4 + 31] = 0xff; // offset of the bytes argument: 0x20 -> 0xff
    const result = await bridge.send(data, 1_000n * WEI_PER_SAT);
    expect(result.receipt).toHaveProperty('status', 0);
    expect(await bridge.readSlot(0n)).toBe(0n);
  });
});
