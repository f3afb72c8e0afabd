import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BRIDGE_ARTIFACT_URL, compileBridge } from '../../../scripts/build-bridge.ts';
import {
  DUST_LIMITS_FIRST_SLOT,
  NEXT_WITHDRAWAL_INDEX_SLOT,
} from '../../../src/execution/bridge/artifact.ts';
import { WITHDRAWAL_EVENT_SIGNATURE } from '../../../src/execution/bridge/withdrawals.ts';

const committed = JSON.parse(readFileSync(BRIDGE_ARTIFACT_URL, 'utf8'));

describe('bridge artifact', () => {
  const rebuilt = compileBridge();

  it('committed runtime bytecode is exactly what the pinned solc makes of Bridge.sol', () => {
    expect(rebuilt.deployedBytecode).toBe(committed.deployedBytecode);
    expect(rebuilt.sourceSha256).toBe(committed.sourceSha256);
    expect(rebuilt.abi).toEqual(committed.abi);
    expect(rebuilt.compiler).toEqual(committed.compiler);
  });

  it('a changed source does not match the committed bytecode (the check can fail)', () => {
    const source = readFileSync(new URL('../../../contracts/Bridge.sol', import.meta.url), 'utf8');
    const altered = compileBridge(
      source.replace('uint256 private constant P2SH = 1;', 'uint256 private constant P2SH = 6;'),
    );
    expect(altered.deployedBytecode).not.toBe(committed.deployedBytecode);
  });

  it('storage layout is the one the genesis alloc writes (slot 0 counter, slots 1..5 dust)', () => {
    expect(rebuilt.storageLayout).toEqual([
      {
        label: 'nextWithdrawalIndex',
        slot: String(NEXT_WITHDRAWAL_INDEX_SLOT),
        offset: 0,
        type: 't_uint256',
      },
      {
        label: 'dustLimitSats',
        slot: String(DUST_LIMITS_FIRST_SLOT),
        offset: 0,
        type: 't_array(t_uint256)5_storage',
      },
    ]);
  });

  it('the event topic decoded by extraction is the ABI event', () => {
    const event = committed.abi.find((e: { type: string }) => e.type === 'event');
    const types = event.inputs.map((i: { type: string }) => i.type).join(',');
    expect(`${event.name}(${types})`).toBe(WITHDRAWAL_EVENT_SIGNATURE);
    expect(event.inputs.map((i: { indexed: boolean }) => i.indexed)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
