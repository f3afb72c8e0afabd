/**
 * Benchmark section `cli`: the `custody` command as a user runs it (`npm run -s custody`),
 * whole process, median of 5, against a plain Node script running the same one-transaction
 * batch on @ethereumjs/vm (bench/reference-vm.mjs). Goals: `--version` <= 500 ms and
 * `exec --mode parallel` of a one-transaction batch <= 1,500 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFile, newKey, signTx } from '../test/execution/support/txs.ts';
import { custody, reference, stateRootOf } from './whole-process.ts';

const RUNS = 5;

/** One transfer from a funded sender to a second account: a two-account pre-state. */
function oneTransferBatch(): Record<string, unknown> {
  const sender = newKey();
  const recipient = newKey();
  return batchFile({
    pre: { [sender.address]: { balance: 10n ** 18n }, [recipient.address]: { balance: 1n } },
    txs: [signTx(sender, { nonce: 0n, to: recipient.address, value: 1000n, gasLimit: 21_000n })],
  });
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  try {
    const file = join(dir, 'one-tx.json');
    writeFileSync(file, JSON.stringify(oneTransferBatch()));
    const version = await custody(RUNS, ['--version']);
    const exec = await custody(RUNS, ['exec', '--batch', file, '--mode', 'parallel']);
    const plain = await reference(RUNS, file);
    if (stateRootOf(exec.stdout) !== stateRootOf(plain.stdout)) {
      throw new Error('cli: custody exec and the plain @ethereumjs/vm script disagree');
    }
    process.stderr.write(
      `  --version ${version.ms} ms (goal 500); exec one tx ${exec.ms} ms (goal 1500); plain script ${plain.ms} ms\n`,
    );
    return { versionMs: version.ms, execOneTxMs: exec.ms, referenceOneTxMs: plain.ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
