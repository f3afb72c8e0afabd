/**
 * `custody exec` on the node's world state, as an operator chains batches: `custody state`
 * names the head, a batch on that `preStateRoot` runs with `--commit`, the next batch names
 * the new head. Each process opens the state afresh, so this is also restart persistence.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bridgeAlloc } from '../../src/execution/bridge/alloc.ts';
import { batchFile, newKey, signTx } from './support/txs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'custody-exec-state-'));
const k = newKey();
const genesisFile = join(dir, 'genesis.json');
writeFileSync(
  genesisFile,
  JSON.stringify({
    config: { chainId: 4242 },
    alloc: { [k.address]: { balance: '0xde0b6b3a7640000' } },
  }),
);
const env = {
  ...process.env,
  DATA_DIR: join(dir, 'data'),
  GENESIS_FILE: genesisFile,
  BITCOIN_NETWORK: 'regtest',
};

function custody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/custody.js', ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let files = 0;
function batch(content: Record<string, unknown>): string {
  const p = join(dir, `batch-${files++}.json`);
  writeFileSync(p, JSON.stringify(content));
  return p;
}
const transfers = (from: bigint, n: number) =>
  Array.from({ length: n }, (_, i) =>
    signTx(k, { nonce: from + BigInt(i), to: newKey().address, value: 7n }),
  );
function onRoot(root: string, txs: string[], chainId?: bigint): string {
  const { pre: _pre, ...file } = batchFile({
    pre: {},
    txs,
    ...(chainId === undefined ? {} : { chainId }),
  });
  return batch({ ...file, preStateRoot: root });
}
function lastLine(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('custody:'))
    .join('\n');
}

describe('custody exec on the world state', () => {
  it('chains batches through --commit; refuses stale, unknown and foreign-chain batches', {
    timeout: 300_000,
  }, async () => {
    const head0 = JSON.parse((await custody(['state'])).stdout);
    expect(head0).toMatchObject({ height: 0, chainId: '0x1092' });
    const txs1 = transfers(0n, 3);
    const txs2 = transfers(3n, 2);

    // The same transactions with the genesis (bridge predeploy included) written out as `pre`.
    const pre = { [k.address]: { balance: 10n ** 18n } };
    const explicit = batch(batchFile({ pre, txs: [...txs1, ...txs2] }));
    const bridge = bridgeAlloc('regtest');
    const withBridge = JSON.parse(readFileSync(explicit, 'utf8'));
    withBridge.pre = { ...withBridge.pre, ...bridge };
    const expected = JSON.parse((await custody(['exec', '--batch', batch(withBridge)])).stdout);

    const r1 = await custody(['exec', '--batch', onRoot(head0.root, txs1), '--commit']);
    expect(r1.code, r1.stderr).toBe(0);
    const out1 = JSON.parse(r1.stdout);
    expect(out1.committed).toEqual({ root: out1.stateRoot, height: 1 });

    const r2 = await custody([
      'exec',
      '--batch',
      onRoot(out1.stateRoot, txs2),
      '--mode',
      'sequential',
      '--commit',
    ]);
    expect(r2.code, r2.stderr).toBe(0);
    const out2 = JSON.parse(r2.stdout);
    expect(out2.stateRoot).toBe(expected.stateRoot);
    expect(JSON.parse((await custody(['state'])).stdout)).toMatchObject({
      root: expected.stateRoot,
      height: 2,
    });

    // A past state can be executed on without --commit; committing on it is refused.
    const past = onRoot(out1.stateRoot, txs2);
    const replay = await custody(['exec', '--batch', past]);
    expect(JSON.parse(replay.stdout).stateRoot).toBe(expected.stateRoot);
    const stale = await custody(['exec', '--batch', past, '--commit']);
    expect(stale.code, stale.stderr).not.toBe(0);
    expect(lastLine(stale.stderr), stale.stderr).not.toBe('');
    expect(stale.stdout).toBe('');
    expect(lastLine(stale.stderr)).toMatch(/pre-state root 0x[0-9a-f]{64} is not the current head/);

    const unknown = await custody(['exec', '--batch', onRoot(`0x${'11'.repeat(32)}`, txs2)]);
    expect(lastLine(unknown.stderr)).toMatch(
      /preStateRoot: 0x1{64} is not a state this node holds/,
    );
    const foreign = await custody(['exec', '--batch', onRoot(out2.stateRoot, [], 7n)]);
    expect(lastLine(foreign.stderr)).toMatch(/env\.chainId: 7 is not this node's chain id 4242/);
    const explicitCommit = await custody(['exec', '--batch', explicit, '--commit']);
    expect(lastLine(explicitCommit.stderr)).toMatch(/--commit: only a batch on "preStateRoot"/);
    expect(JSON.parse((await custody(['state'])).stdout)).toMatchObject({ height: 2 });
  });
});
