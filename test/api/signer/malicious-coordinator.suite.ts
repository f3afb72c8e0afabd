/**
 * A malicious coordinator against real signer processes (the product's `custody signer`,
 * verifying, as `custody start` runs them): it holds the coordinator's key, so every request
 * below is authenticated, and still no signer releases anything but the settlement it rebuilds
 * from its own records. Each attack is its own test; each refusal names its reason, releases
 * nothing (no signature, no binding, no record changed) and is in the signer's own audit log.
 * Run for each custody scheme by the three `malicious-coordinator-*.test.ts` files.
 *
 * Setup: a 2-of-3 custody with the offline backend. `custody settle` signs settlement 1
 * (batch 1) for real; then the test, as the coordinator, executes batch 2, proposes its honest
 * settlement 2, brings the signers up to batch 2, and tampers with settlement 2. Multi-sig
 * requests go to each signer directly; FROST ones through the coordinator's own sessions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeAndRecord } from '../../../src/api/coordinator/batches.ts';
import { type Custody, openLocalCustody } from '../../../src/api/coordinator/custody.ts';
import {
  loadCoordinatorIdentity,
  startLocalSigners,
} from '../../../src/api/coordinator/local-signers.ts';
import type { SettlementDeps } from '../../../src/api/coordinator/settlement/deps.ts';
import { openSettlement } from '../../../src/api/coordinator/settlement/open.ts';
import { runSettlementPipeline } from '../../../src/api/coordinator/settlement/pipeline.ts';
import { proposeNext } from '../../../src/api/coordinator/settlement/propose.ts';
import { reload } from '../../../src/api/coordinator/settlement/records.ts';
import { syncSigners } from '../../../src/api/coordinator/settlement/sync.ts';
import {
  checkBatchChain,
  nodeGenesis,
  openNodeWorldState,
} from '../../../src/api/coordinator/world-state.ts';
import { SignerError } from '../../../src/api/signer/client.ts';
import type { LaunchedSigner } from '../../../src/api/signer/supervisor.ts';
import { parseBatch } from '../../../src/execution/batch.ts';
import { runParallel } from '../../../src/execution/parallel/index.ts';
import { closeWorkerPool } from '../../../src/execution/parallel/pool.ts';
import type { ChainOutput } from '../../../src/settlement/backend/types.ts';
import {
  type AssembleOpts,
  assemble,
  type BuiltSettlement,
  buildSettlement,
} from '../../../src/settlement/build.ts';
import { buildFeeBump } from '../../../src/settlement/bump.ts';
import type { QueuedWithdrawal } from '../../../src/settlement/withdrawals.ts';
import { parseConfig } from '../../../src/shared/config.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { openStore, type Store } from '../../../src/store/store.ts';
import { type Coordinator, coordinator } from '../coordinator/settlement/harness.ts';

export type AttackedScheme = 'frost' | 'multisig-p2wsh' | 'multisig-tapscript';

const log = createLogger({ level: 'silent' });
const p2wpkh = (n: number) =>
  Uint8Array.from(Buffer.from(`0014${n.toString(16).padStart(40, '0')}`, 'hex'));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function maliciousCoordinatorSuite(scheme: AttackedScheme): void {
  let c: Coordinator;
  let store: Store;
  let signers: LaunchedSigner[] = [];
  let custody: Custody;
  let deps: SettlementDeps;
  let first: BuiltSettlement;
  let honest: BuiltSettlement;
  let attempt = 0;

  /** The custody output settlement 2 spends: settlement 1's change. */
  function currentOutput(): ChainOutput {
    return {
      txid: first.txid,
      vout: 0,
      valueSats: first.changeSats,
      scriptPubKey: hexOf(deps.type.scriptPubKey),
      confirmations: 1,
    };
  }

  /** `s` reassembled with `edit` applied: the coordinator's own transaction. */
  function tampered(s: BuiltSettlement, edit: (o: AssembleOpts) => void): BuiltSettlement {
    const o: AssembleOpts = {
      inputs: [...s.inputs],
      paid: s.paid.map((w) => ({ ...w })),
      commitment: { ...s.commitment },
      feeSats: s.feeSats,
      change: s.changeScriptPubKey,
      changeSats: s.changeSats,
      policy: deps.policy,
      waiting: s.waiting,
      weight: s.weight,
      feeRateSatPerVb: s.feeRateSatPerVb,
    };
    edit(o);
    return assemble(o);
  }

  function built(r: ReturnType<typeof buildSettlement>): BuiltSettlement {
    if (r.status !== 'built') throw new Error(r.reason);
    return r;
  }

  interface Ask {
    batchNumber?: number;
    feeRateSatPerVb?: number;
    inputIndex?: number;
    sighash?: Uint8Array;
    sighashType?: number;
    /** a raw 32-byte message: no settlement named */
    raw?: boolean;
  }

  /** Asks every signer for its partial signature on input 0 of `s`; returns each answer. */
  async function ask(
    s: BuiltSettlement,
    over: Ask = {},
  ): Promise<(SignerError | { signature: string })[]> {
    const i = over.inputIndex ?? 0;
    const sighash = over.sighash ?? deps.type.sighash(s.unsignedTx, i, s.prevouts);
    const proposalId = `attack-${++attempt}`;
    return Promise.all(
      signers.map((signer) =>
        signer.client
          .post<{ signature: string }>('/v1/multisig/sign', {
            keyId: custody.key.id,
            proposalId,
            scriptType: scheme === 'multisig-p2wsh' ? 'p2wsh' : 'tapscript',
            sighash: `0x${hexOf(sighash)}`,
            ...(over.sighashType === undefined ? {} : { sighashType: over.sighashType }),
            ...(over.raw
              ? {}
              : {
                  settlement: {
                    psbt: s.psbt.toBase64(),
                    batchNumber: over.batchNumber ?? Number(s.commitment.batchNumber),
                    feeRateSatPerVb: over.feeRateSatPerVb ?? s.feeRateSatPerVb,
                    inputIndex: i,
                  },
                }),
          })
          .catch((error: unknown) => {
            if (error instanceof SignerError) return error;
            throw error;
          }),
      ),
    );
  }

  async function signerDb<T>(name: string, read: (db: Store['db']) => Promise<T>): Promise<T> {
    const file = path.join(c.env.DATA_DIR as string, 'signers', name, 'signer.db');
    const s = await openStore({ databaseUrl: `file:${file}` });
    try {
      return await read(s.db);
    } finally {
      await s.close();
    }
  }

  /**
   * Every signer refused with `reason` (a prefix of the policy's reason), released nothing for
   * this transaction, and wrote the refusal to its own audit log.
   */
  async function recordCounts(name: string): Promise<number[]> {
    return signerDb(name, async (db) => [
      await db.signerBinding.count(),
      await db.signerSettlement.count(),
      await db.signerCustodyOutput.count(),
    ]);
  }

  /** FROST: the coordinator's own session (round 1 to all, round 2 to the first t to answer). */
  async function askFrost(s: BuiltSettlement, over: Ask): Promise<Error | null> {
    const i = over.inputIndex ?? 0;
    const sighash = over.sighash ?? deps.type.sighash(s.unsignedTx, i, s.prevouts);
    const ref = {
      psbt: s.psbt.toBase64(),
      batchNumber: over.batchNumber ?? Number(s.commitment.batchNumber),
      feeRateSatPerVb: over.feeRateSatPerVb ?? s.feeRateSatPerVb,
      inputIndex: i,
    };
    try {
      await custody.sign(sighash, `attack-${++attempt}`, over.raw ? undefined : ref);
      return null;
    } catch (error) {
      return error as Error;
    }
  }

  async function expectRefused(s: BuiltSettlement, reason: RegExp, over: Ask = {}): Promise<void> {
    const before = await Promise.all(signers.map((x) => recordCounts(x.name)));
    if (scheme === 'frost') return expectFrostRefused(s, reason, over, before);
    const answers = await ask(s, over);
    for (const [i, a] of answers.entries()) {
      const name = signers[i]?.name as string;
      expect(a, name).toBeInstanceOf(SignerError);
      const e = a as SignerError;
      expect(e.status, name).toBe(403);
      expect(String(e.problem.detail), name).toMatch(reason);
      const decision = await signerDb(name, (db) =>
        db.auditEntry.findFirst({ where: { action: 'policy.decide' }, orderBy: { seq: 'desc' } }),
      );
      // Nothing bound, no settlement or change recorded by the refusal.
      expect(await recordCounts(name), name).toEqual(before[i]);
      const recorded = JSON.parse(decision?.data ?? '{}').decisions?.[0];
      expect(recorded, name).toMatchObject({ proposalId: `attack-${attempt}`, outcome: 'refused' });
      expect(String(recorded.reason), name).toMatch(reason);
    }
  }

  /**
   * The session fails naming each signer's reason; every signer asked for a share refused it
   * with that reason in its audit log (round 2 goes to two of them, then to the one left), and
   * no signer's records changed.
   */
  async function expectFrostRefused(
    s: BuiltSettlement,
    reason: RegExp,
    over: Ask,
    before: number[][],
  ): Promise<void> {
    const error = await askFrost(s, over);
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).toMatch(reason);
    let refusedBy = 0;
    for (const [i, signer] of signers.entries()) {
      expect(await recordCounts(signer.name), signer.name).toEqual(before[i]);
      const decision = await signerDb(signer.name, (db) =>
        db.auditEntry.findFirst({ where: { action: 'policy.decide' }, orderBy: { seq: 'desc' } }),
      );
      const recorded = JSON.parse(decision?.data ?? '{}').decisions?.[0];
      if (recorded?.proposalId !== `attack-${attempt}`) continue;
      expect(recorded, signer.name).toMatchObject({ outcome: 'refused' });
      expect(String(recorded.reason), signer.name).toMatch(reason);
      refusedBy++;
    }
    expect(refusedBy).toBeGreaterThanOrEqual(2);
  }

  beforeAll(async () => {
    process.env.LOG_LEVEL = 'error'; // the local signers' logs (each refusal is a warning)
    c = coordinator(scheme, null);
    const funding = hexOf(crypto.getRandomValues(new Uint8Array(32)));
    await c.settle(['--register-output', `${funding}:0:50000000`]);
    const b1 = await c.withdrawalBatch([
      { scriptPubKey: hexOf(p2wpkh(1)), sats: 100_000n },
      { scriptPubKey: hexOf(p2wpkh(2)), sats: 50_000n },
    ]);
    const out1 = await c.settle(['--batch', b1, '--until', 'exported']);
    expect(out1.settlement?.status).toBe('exported');
    // The operator broadcast it and registers its change, the custody output settlement 2 spends.
    const exported = out1.settlement?.exported as { txPath: string };
    const tx1 = Transaction.fromHex(readFileSync(exported.txPath, 'utf8').trim());
    await c.settle(['--register-output', `${tx1.getId()}:0:${tx1.outs[0]?.value}`]);
    const b2 = await c.withdrawalBatch([
      { scriptPubKey: hexOf(p2wpkh(3)), sats: 70_000n },
      { scriptPubKey: hexOf(p2wpkh(4)), sats: 60_000n },
      { scriptPubKey: hexOf(p2wpkh(5)), sats: 40_000n },
    ]);

    // From here on this test is the coordinator.
    const config = parseConfig(c.env);
    store = await openStore({ databaseUrl: config.databaseUrl });
    signers = await startLocalSigners({
      dataDir: config.dataDir,
      coordinator: loadCoordinatorIdentity(config.dataDir),
      log,
      chain: config,
    });
    custody = await openLocalCustody(store.db, config.scheme, signers);
    const chainId = nodeGenesis(config).chainId;
    deps = openSettlement({ config, db: store.db, custody, chainId, log });
    const world = await openNodeWorldState(config);
    try {
      await executeAndRecord(store.db, world.ws, JSON.parse(readFileSync(b2, 'utf8')), {
        parse(input) {
          const batch = parseBatch(input);
          checkBatchChain(batch, chainId);
          return batch;
        },
        run: (batch, ws, commit) => runParallel(batch, { worldState: ws, commit }),
      });
    } finally {
      await world.ws.close();
    }
    const row1 = await store.db.settlement.findFirstOrThrow({ where: { status: 'exported' } });
    first = reload(row1, deps.type, deps.policy);
    const proposed = await proposeNext(deps);
    expect(proposed).toMatchObject({ kind: 'proposed' });
    const row2 = await store.db.settlement.findFirstOrThrow({ where: { status: 'proposed' } });
    honest = reload(row2, deps.type, deps.policy);
    const synced = await syncSigners(deps, 2);
    expect(synced.map((s) => s.problem)).toEqual([undefined, undefined, undefined]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(signers.map((s) => s.stop()));
    await store?.close();
    await closeWorkerPool();
  });

  describe('a malicious coordinator, before the honest settlement 2 is signed', () => {
    it('a raw 32-byte message with no PSBT is refused', async () => {
      await expectRefused(honest, /raw-message: /, { raw: true });
    });

    it('a digest that is not the sighash the signer derives is refused', async () => {
      await expectRefused(honest, /message: not the sighash this signer derived/, {
        sighash: crypto.getRandomValues(new Uint8Array(32)),
      });
    });

    it('a sighash type other than DEFAULT/ALL in the PSBT is refused', async () => {
      const p = Psbt.fromBase64(honest.psbt.toBase64(), { network: deps.policy.network.bitcoinjs });
      p.updateInput(0, { sighashType: 0x83 });
      await expectRefused({ ...honest, psbt: p } as BuiltSettlement, /sighash-type: /);
    });

    it.skipIf(scheme === 'frost')(
      'a sighash type other than DEFAULT/ALL asked for is refused',
      async () => {
        await expectRefused(honest, /sighash-type: /, { sighashType: 0x83 });
      },
    );

    it('an extra output is refused', async () => {
      const s = tampered(honest, (o) => {
        o.paid.push({ ...(o.paid[0] as QueuedWithdrawal), scriptPubKey: p2wpkh(66) });
      });
      await expectRefused(s, /mismatch: .*outputs, expected/);
    });

    it('a changed amount is refused', async () => {
      const s = tampered(honest, (o) => {
        const w = o.paid[1] as QueuedWithdrawal;
        o.paid[1] = { ...w, amountSats: w.amountSats + 5_000n };
        o.feeSats -= 5_000n; // paid out of the fee: the change looks right
      });
      await expectRefused(s, /mismatch: output 3 pays/);
    });

    it('a changed withdrawal script is refused', async () => {
      const s = tampered(honest, (o) => {
        o.paid[0] = { ...(o.paid[0] as QueuedWithdrawal), scriptPubKey: p2wpkh(77) };
      });
      await expectRefused(s, /mismatch: output 2 pays script/);
    });

    it('a skipped withdrawal is refused', async () => {
      const s = built(
        buildSettlement(
          { current: currentOutput(), topUps: [] },
          queueOf(honest).slice(1),
          {
            ...honest.commitment,
            firstWithdrawalIndex: honest.commitment.firstWithdrawalIndex + 1n,
          },
          honest.feeRateSatPerVb,
          deps.policy,
        ),
      );
      await expectRefused(s, /mismatch: /);
    });

    it('a reordered withdrawal is refused', async () => {
      const s = tampered(honest, (o) => {
        o.paid.reverse();
      });
      await expectRefused(s, /mismatch: output 2 pays/);
    });

    it('a wrong change script is refused', async () => {
      const s = tampered(honest, (o) => {
        o.change = p2wpkh(9);
      });
      await expectRefused(s, /mismatch: output 0 pays script/);
    });

    it('a wrong state root is refused', async () => {
      const s = tampered(honest, (o) => {
        o.commitment.stateRoot = `0x${'cd'.repeat(32)}`;
      });
      await expectRefused(s, /mismatch: output 1 pays script/);
    });

    it('a wrong batch number in the commitment is refused', async () => {
      const s = tampered(honest, (o) => {
        o.commitment.batchNumber = 3n;
      });
      await expectRefused(s, /mismatch: output 1 pays script/, { batchNumber: 2 });
    });

    it("a batch the signer has not verified is refused (the signer is not behind by the coordinator's word)", async () => {
      await expectRefused(honest, /behind: this signer's rollup head is batch 2/, {
        batchNumber: 3,
      });
    });

    it("a stale batch (behind the signer's head) is refused", async () => {
      await expectRefused(honest, /stale-batch: batch 1 is behind this signer's head, batch 2/, {
        batchNumber: 1,
      });
    });

    it('a fee above the cap is refused', async () => {
      const rich = { ...deps.policy, maxFeeRateSatPerVb: 10_000, maxFeeSats: 10n ** 8n };
      const s = built(
        buildSettlement(
          { current: currentOutput(), topUps: [] },
          queueOf(honest),
          headOf(honest),
          250,
          rich,
        ),
      );
      await expectRefused(s, /fee-rate: .*above the cap of 200/);
    });

    it('an unexpected input is refused', async () => {
      const stranger: ChainOutput = {
        ...currentOutput(),
        txid: hexOf(crypto.getRandomValues(new Uint8Array(32))),
        valueSats: 80_000n,
      };
      const s = built(
        buildSettlement(
          { current: currentOutput(), topUps: [stranger] },
          queueOf(honest),
          headOf(honest),
          honest.feeRateSatPerVb,
          deps.policy,
        ),
      );
      expect(s.inputs).toHaveLength(2);
      await expectRefused(s, /unexpected-input: /);
    });

    it('a settlement passed off as signed by the custody without its signatures is not recorded', async () => {
      for (const signer of signers) {
        const e = await signer.client
          .post('/v1/custody/settlements', {
            keyId: custody.key.id,
            settlement: {
              psbt: honest.psbt.toBase64(),
              batchNumber: 2,
              feeRateSatPerVb: honest.feeRateSatPerVb,
              inputIndex: 0,
            },
            rawTx: honest.unsignedTx.toHex(),
          })
          .catch((error: unknown) => error);
        expect(e, signer.name).toBeInstanceOf(SignerError);
        expect(String((e as SignerError).problem.detail)).toMatch(
          /not recorded: unsigned: input 0/,
        );
        const known = await signerDb(signer.name, (db) =>
          db.signerSettlement.count({ where: { txid: honest.txid } }),
        );
        expect(known).toBe(0);
      }
    });

    it('a settlement that is no PSBT is refused with its reason, and audited', async () => {
      const garbage = {
        ...honest,
        psbt: { toBase64: () => Buffer.from('not a psbt').toString('base64') },
      };
      await expectRefused(garbage as unknown as BuiltSettlement, /invalid-input: psbt/);
    });

    it('an input index the settlement does not have is refused', async () => {
      await expectRefused(honest, /input-index: /, { inputIndex: 5, sighash: new Uint8Array(32) });
    });
  });

  describe('after the honest settlement 2 is signed', () => {
    it('the honest settlement, rebuilt by each signer from its own records, is signed', async () => {
      // The coordinator's own pipeline: approve, sign (signers brought in step first), store it
      // signed, give it to the signers the session did not ask, export it.
      await runSettlementPipeline(deps);
      const row = await store.db.settlement.findFirstOrThrow({ where: { txid: honest.txid } });
      expect(row.status).toBe('exported');
      const final = Transaction.fromHex(row.rawTx as string);
      expect(final.getId()).toBe(honest.txid);
      let signedBy = 0;
      for (const s of signers) {
        const rows = await signerDb(s.name, (db) =>
          db.signerBinding.findMany({ where: { settlementTxid: honest.txid } }),
        );
        if (rows.length > 0) {
          signedBy++;
          expect(
            rows.map((r) => r.outpoint),
            s.name,
          ).toEqual([`${first.txid}:0`]);
        }
      }
      // all three: those asked bound it as they signed, the others learned it
      expect(signedBy).toBe(3);
    });

    it('a replayed old settlement is refused', async () => {
      await expectRefused(first, /replayed: settlement .* was already followed by settlement/, {
        batchNumber: 1,
      });
    });

    it('a second settlement for an already-spent custody output is refused', async () => {
      const other = tampered(honest, (o) => {
        o.paid.pop();
        o.changeSats += 40_000n;
      });
      await expectRefused(other, /second-settlement: /);
    });

    it('a fee bump that changes a payout is refused', async () => {
      const bad = tampered(honest, (o) => {
        o.changeSats -= 2_000n;
        o.feeSats += 1_000n;
        const w = o.paid[0] as QueuedWithdrawal;
        o.paid[0] = { ...w, amountSats: w.amountSats + 1_000n };
      });
      await expectRefused(bad, /second-settlement: .*not a fee bump/);
    });

    it('an honest fee bump of settlement 2 is signed (the control for the refusals above)', async () => {
      const bump = buildFeeBump(
        honest,
        { feeRateSatPerVb: honest.feeRateSatPerVb + 3, incrementalRelayFeeSatPerVb: 1 },
        deps.policy,
      );
      if (bump.status !== 'built') throw new Error(bump.reason);
      if (scheme === 'frost') {
        expect(await askFrost(bump, { feeRateSatPerVb: honest.feeRateSatPerVb })).toBeNull();
        return;
      }
      const answers = await ask(bump, { feeRateSatPerVb: honest.feeRateSatPerVb });
      const signed = answers.filter((a) => !(a instanceof SignerError));
      expect(
        signed.length,
        JSON.stringify(answers.map((a) => (a instanceof SignerError ? a.message : 'ok'))),
      ).toBeGreaterThanOrEqual(2);
    });
  });
}

function queueOf(s: BuiltSettlement) {
  return s.paid.map((w) => ({
    index: `0x${w.index.toString(16)}`,
    scriptPubKey: `0x${hexOf(w.scriptPubKey)}`,
    amountSats: `0x${w.amountSats.toString(16)}`,
  }));
}

function headOf(s: BuiltSettlement) {
  const { withdrawalCount: _count, ...head } = s.commitment;
  return head;
}
