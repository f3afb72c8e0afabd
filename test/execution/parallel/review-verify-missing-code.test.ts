/**
 * Review finding: verifyWithAccessList trusts the list's `codes` for the workers' code
 * replicas but never checks that the list declares every code its writes refer to. A list
 * that omits the code of a contract created at tx 0 makes a later call to that contract fail
 * on another worker with "code … not in the replica"; executeTx turns that thrown Error into
 * an invalid-transaction outcome (no writes, no fee), which a lying entry can declare. The
 * list is then "verified" and the valid batch is reported as rejected (BatchRejectedError),
 * where an AccessListMismatchError was due. A coordinator could make signers refuse a
 * valid batch this way. (src/execution/parallel/verify.ts mismatch(): codes unchecked;
 * versionedState.ts getCode throws a plain Error that txrun.ts classifies as invalid tx)
 */
import { generateAddress } from '@ethereumjs/util';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessList } from '../../../src/execution/accessList.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { AccessListMismatchError } from '../../../src/execution/errors.ts';
import { closeWorkerPool, runParallel } from '../../../src/execution/parallel/index.ts';
import { verifyWithAccessList } from '../../../src/execution/parallel/verify.ts';
import { runSequential } from '../../../src/execution/sequential.ts';
import { bytesToHex } from '../../../src/shared/hex.ts';
import { COUNTER, initCode } from '../support/contracts.ts';
import { batchFile, newKey, signTx } from '../support/txs.ts';

afterAll(closeWorkerPool);

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

describe('review: verifyWithAccessList with a list that omits created code', () => {
  // Fixed: verify.ts compares the code each transaction created with the declared code.
  it('is refused as a wrong list, not turned into a batch rejection', async () => {
    const [k0, k1, k2] = [newKey(), newKey(), newKey()];
    const counter = bytesToHex(generateAddress(hex(k0.address), new Uint8Array()));
    const batch = parseBatch(
      batchFile({
        pre: {
          [k0.address]: { balance: 10n ** 18n },
          [k1.address]: { balance: 10n ** 18n },
          [k2.address]: { balance: 10n ** 18n },
        },
        txs: [
          signTx(k0, { nonce: 0n, data: hex(initCode(COUNTER)), gasLimit: 200_000n }),
          signTx(k1, { nonce: 0n, to: newKey().address, value: 1n }),
          // executeAll gives txs 0 and 1 to the first worker, tx 2 to the second
          signTx(k2, { nonce: 0n, to: counter }),
        ],
      }),
    );
    const sequential = await runSequential(batch);
    expect(sequential.receipts.map((r) => r.status)).toEqual([1, 1, 1]);
    const produced = await runParallel(batch, { workers: 2, fallback: false });
    const lying = structuredClone(produced.accessList as AccessList);
    (lying[0] as AccessList[number]).codes = [];
    lying[2] = { reads: (lying[2] as AccessList[number]).reads, writes: [], fee: 0n, codes: [] };

    const err = await verifyWithAccessList(batch, lying, { workers: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AccessListMismatchError);
  });
});
