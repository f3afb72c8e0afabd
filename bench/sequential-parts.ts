/**
 * Where our sequential executor spends time the plain @ethereumjs/vm script (reference-vm.mjs)
 * does not, on one batch file, in process (README, Benchmarks):
 *
 *   node --import tsx bench/sequential-parts.ts BATCH_FILE
 *
 * prints per round: the whole runSequential, its receipts root through @ethereumjs/mpt
 * against the one-pass builder, decoding with our checks, and withdrawal extraction (ms).
 */
import { readFileSync } from 'node:fs';
import { parseBatch } from '../src/execution/batch.ts';
import { batchWithdrawals } from '../src/execution/bridge/batch-withdrawals.ts';
import { makeCommon } from '../src/execution/crypto.ts';
import { decodeTx } from '../src/execution/decode.ts';
import { receiptsRoot, receiptsRootBulk } from '../src/execution/receipts.ts';
import { runSequential } from '../src/execution/sequential.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: sequential-parts.ts BATCH_FILE');
const batch = parseBatch(JSON.parse(readFileSync(file, 'utf8')));
const common = makeCommon(batch.env.chainId, 'fast');
const keccak = common.customCrypto.keccak256 as (d: Uint8Array) => Uint8Array;

async function ms(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return Math.round(performance.now() - t0);
}

for (let round = 0; round < 3; round++) {
  let result: Awaited<ReturnType<typeof runSequential>> | undefined;
  const runSequentialMs = await ms(async () => {
    result = await runSequential(batch, { profile: 'fast' });
  });
  const receipts = result?.receipts ?? [];
  const out = {
    round,
    runSequentialMs,
    receiptsRootMptMs: await ms(() => receiptsRoot(receipts, common)),
    receiptsRootBulkMs: await ms(() => receiptsRootBulk(receipts, common, keccak)),
    decodeMs: await ms(() => {
      for (let i = 0; i < batch.txs.length; i++) {
        decodeTx(batch.txs[i] as Uint8Array, i, common, batch.env.gasLimit);
      }
    }),
    withdrawalsMs: await ms(() => batchWithdrawals(receipts)),
  };
  console.log(JSON.stringify(out));
}
