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
