/**
 * Reads the ethereum/tests GeneralStateTests fixtures (../shared/fixtures) as one-transaction
 * batches. Format (checked on the files): each file maps a test name to
 *   { env: {currentCoinbase, currentNumber, currentTimestamp, currentGasLimit, currentBaseFee,
 *           currentRandom, currentDifficulty, currentExcessBlobGas}, pre: {ADDR: {balance,
 *     nonce, code, storage}}, transaction: {...unsigned template...},
 *     post: {Cancun: [{hash, logs, txbytes, indexes, expectException?}]} }
 * `txbytes` is the signed transaction of that case, `hash` the post-state root. Chain id 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBatch } from '../../../src/execution/batch.ts';
import { BatchRejectedError } from '../../../src/execution/errors.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';

export const STATE_TESTS_DIR = fileURLToPath(
  new URL('../../../../shared/fixtures/ethereum-tests/GeneralStateTests/', import.meta.url),
);

export interface StateTestCase {
  /** file/test/index, unique */
  id: string;
  batch: unknown;
  expectedRoot: string;
  expectException: string | undefined;
  isBlob: boolean;
}

interface Fixture {
  env: Record<string, string>;
  pre: Record<string, unknown>;
  post: { Cancun?: { hash: string; txbytes: string; expectException?: string }[] };
}

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? listJson(join(dir, e.name))
        : e.name.endsWith('.json')
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

export function loadStateTests(): StateTestCase[] {
  const cases: StateTestCase[] = [];
  for (const file of listJson(STATE_TESTS_DIR)) {
    const rel = file.slice(STATE_TESTS_DIR.length);
    const tests = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Fixture>;
    for (const [name, t] of Object.entries(tests)) {
      const env = {
        coinbase: t.env.currentCoinbase,
        number: t.env.currentNumber,
        timestamp: t.env.currentTimestamp,
        gasLimit: t.env.currentGasLimit,
        baseFee: t.env.currentBaseFee,
        prevRandao: t.env.currentRandom,
        chainId: '0x1',
      };
      (t.post.Cancun ?? []).forEach((p, i) => {
        cases.push({
          id: `${rel}/${name}/${i}`,
          batch: { fork: 'cancun', env, pre: t.pre, txs: [p.txbytes] },
          expectedRoot: p.hash,
          expectException: p.expectException,
          isBlob: p.txbytes.startsWith('0x03'),
        });
      });
    }
  }
  return cases;
}

/**
 * Runs every case through `execute` (a batch in, its state root out) and lists the cases whose
 * outcome is wrong: a root other than `hash`, a blob case not rejected for its blob, an
 * `expectException` case not rejected. Any error other than a batch rejection propagates.
 */
export async function stateTestFailures(
  cases: readonly StateTestCase[],
  execute: (batch: ReturnType<typeof parseBatch>) => Promise<{ stateRoot: Uint8Array }>,
): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases) {
    let got: string;
    try {
      got = bytesToHex((await execute(parseBatch(c.batch))).stateRoot);
    } catch (e) {
      if (!(e instanceof BatchRejectedError)) throw e;
      got = `rejected: ${e.reason}`;
    }
    const ok = c.isBlob
      ? /blob/.test(got) && got.startsWith('rejected')
      : c.expectException !== undefined
        ? got.startsWith('rejected')
        : got === c.expectedRoot;
    if (!ok) failures.push(`${c.id}: expected ${c.expectException ?? c.expectedRoot}, got ${got}`);
  }
  return failures;
}
