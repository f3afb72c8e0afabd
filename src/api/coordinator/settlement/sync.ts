/**
 * Before its signers are asked to sign a settlement for batch n, each is brought up to batch n
 * in its own rollup: from its own head on, every batch the coordinator recorded is sent with the
 * root the coordinator claims and the access list of its run. The signer checks each one by its
 * own execution and refuses what it does not arrive at itself; the coordinator cannot skip it.
 *
 * A signer that cannot be brought up (down, refusing a batch, on another chain) is reported and
 * left out; signing goes on while a threshold of signers is in step, else it stops naming each
 * signer's reason.
 */
import { Psbt } from 'bitcoinjs-lib';
import { unsignedTransaction } from '../../../settlement/build.ts';
import { ConflictError } from '../../../shared/errors.ts';
import type { RemoteSigner } from '../signing/http-clients.ts';
import type { SettlementDeps } from './deps.ts';
import { reload } from './records.ts';

interface SignerHead {
  number: number;
  stateRoot: string;
}

export interface SyncedSigner {
  signer: string;
  /** the batches it verified in this sync */
  sent: number;
  /** why it is not at batch `upTo`, when it is not */
  problem?: string;
}

export type SyncDeps = Pick<
  SettlementDeps,
  'db' | 'custody' | 'log' | 'accessListOf' | 'type' | 'policy'
>;

function membersOf(deps: SyncDeps): RemoteSigner[] {
  return deps.custody.signers.filter((s) => deps.custody.key.signerNames.includes(s.name));
}

export async function syncSigners(deps: SyncDeps, upTo: number): Promise<SyncedSigner[]> {
  const members = membersOf(deps);
  const history = await settlementHistory(deps);
  const results = await Promise.all(members.map((s) => syncOne(deps, history, s, upTo)));
  const inStep = results.filter((r) => r.problem === undefined).length;
  for (const r of results) {
    if (r.problem !== undefined) {
      deps.log.warn({ signer: r.signer, upTo, problem: r.problem }, 'signer not in step');
    }
  }
  if (inStep < deps.custody.key.threshold) {
    throw new ConflictError(
      `only ${inStep} of ${members.length} signers verified the rollup up to batch ${upTo} (threshold ${deps.custody.key.threshold}): ${results
        .filter((r) => r.problem !== undefined)
        .map((r) => `${r.signer}: ${r.problem}`)
        .join('; ')}`,
    );
  }
  return results;
}

async function syncOne(
  deps: SyncDeps,
  history: SettlementHistory,
  signer: RemoteSigner,
  upTo: number,
): Promise<SyncedSigner> {
  let sent = 0;
  try {
    const head = await signer.client.get<SignerHead>('/v1/rollup/head');
    const problem = await checkSameChain(deps, head);
    if (problem !== undefined) return { signer: signer.name, sent, problem };
    let at = head.number;
    // Settlements it did not take part in, each after the batch it commits.
    for (const missed of await history.missedBy(signer)) {
      sent += await sendBatches(deps, signer, at, missed.batchNumber);
      at = Math.max(at, missed.batchNumber);
      await signer.client.post('/v1/custody/settlements', missed.body);
    }
    sent += await sendBatches(deps, signer, at, upTo);
    return { signer: signer.name, sent };
  } catch (error) {
    return { signer: signer.name, sent, problem: (error as Error).message };
  }
}

/**
 * Before a signed settlement is broadcast (the pipeline's broadcast step, again after a restart):
 * every signer the session did not ask learns it while its inputs are still unspent on its own
 * node (once mined, a signer with a node but no -txindex could no longer see what it spent). A
 * signer that cannot is reported; it is offered the settlement again at the next sync.
 */
export async function shareSigned(deps: SyncDeps): Promise<void> {
  const history = await settlementHistory(deps);
  await Promise.all(
    membersOf(deps).map(async (signer) => {
      try {
        for (const missed of await history.missedBy(signer)) {
          await signer.client.post('/v1/custody/settlements', missed.body);
        }
      } catch (error) {
        deps.log.warn(
          { signer: signer.name, problem: (error as Error).message },
          'signer did not record the signed settlement',
        );
      }
    }),
  );
}

async function sendBatches(
  deps: SyncDeps,
  signer: RemoteSigner,
  head: number,
  upTo: number,
): Promise<number> {
  let sent = 0;
  for (let n = head + 1; n <= upTo; n++) {
    await signer.client.post('/v1/rollup/batches', await submissionOf(deps, n));
    sent++;
  }
  return sent;
}

const SIGNED = ['signed', 'broadcast', 'confirmed', 'exported'];

interface MissedSettlement {
  batchNumber: number;
  body: Record<string, unknown>;
}

interface SettlementHistory {
  /**
   * The signed settlements after the newest one the signer knows, oldest first (a FROST
   * session asks only t signers; the others learn the settlement from its signed transaction,
   * which they rebuild and whose signatures they check before they record it).
   */
  missedBy(signer: RemoteSigner): Promise<MissedSettlement[]>;
}

/**
 * The coordinator's settlements read once for all signers of a sync; each one sent is rebuilt
 * once (for the batch and first-version rate it names), however many signers miss it.
 */
async function settlementHistory(deps: SyncDeps): Promise<SettlementHistory> {
  // Every settlement, in flight too (a fee bump being signed has no txid of its own yet).
  const all = await deps.db.settlement.findMany({ orderBy: { createdAt: 'asc' } });
  // A first version still being signed has no txid recorded yet, but its signers may already
  // hold it as their newest (a coordinator killed between their signatures and `signed`): its
  // txid is the unsigned transaction's, the same once signed (segwit). Found by the random-moment
  // SIGKILL trials of test/api/coordinator/rest/crash-restart.test.ts.
  const originalOf = (r: (typeof all)[number]) =>
    (JSON.parse(r.replacedTxids ?? '[]') as { txid: string }[])[0]?.txid ??
    r.txid ??
    inFlightTxid(r);
  const bodies = new Map<string, MissedSettlement>();
  const missedOf = (r: (typeof all)[number]): MissedSettlement => {
    const cached = bodies.get(r.id);
    if (cached !== undefined) return cached;
    const s = reload(r, deps.type, deps.policy);
    const batchNumber = Number(s.commitment.batchNumber);
    const missed = {
      batchNumber,
      body: {
        keyId: deps.custody.key.id,
        settlement: {
          psbt: r.psbt,
          batchNumber,
          feeRateSatPerVb: s.feeRateSatPerVb,
          inputIndex: 0,
        },
        rawTx: r.rawTx,
      },
    };
    bodies.set(r.id, missed);
    return missed;
  };
  return {
    async missedBy(signer) {
      const known = await signer.client.get<{ originalTxid: string | null }>(
        '/v1/custody/settlements/latest',
      );
      // The one it knows is sent again: it may know only a version a fee bump replaced.
      const from =
        known.originalTxid === null
          ? 0
          : all.findIndex((r) => originalOf(r) === known.originalTxid);
      if (from === -1) {
        throw new ConflictError(
          `its newest settlement ${known.originalTxid} is not one this coordinator made`,
        );
      }
      return all
        .slice(from)
        .filter((r) => SIGNED.includes(r.status) && r.rawTx !== null && r.psbt !== null)
        .map(missedOf);
    },
  };
}

/**
 * The txid of a first version signers may have signed before `signed` was recorded (approved or
 * signing), read from its PSBT without a rebuild; null for any other row or one unreadable.
 */
function inFlightTxid(r: { status: string; psbt: string | null }): string | null {
  if (r.psbt === null || (r.status !== 'approved' && r.status !== 'signing')) return null;
  try {
    return unsignedTransaction(Psbt.fromBase64(r.psbt)).getId();
  } catch {
    return null;
  }
}

/** The signer's head must be a batch the coordinator recorded with that very root. */
async function checkSameChain(deps: SyncDeps, head: SignerHead): Promise<string | undefined> {
  if (head.number === 0) return undefined;
  const row = await deps.db.batch.findFirst({ where: { number: head.number } });
  if (row?.stateRoot === undefined || row.stateRoot === null) {
    return `its head is batch ${head.number}, which this coordinator has not executed`;
  }
  if (row.stateRoot !== head.stateRoot) {
    return `its batch ${head.number} has post-state ${head.stateRoot}; this coordinator's has ${row.stateRoot}`;
  }
  return undefined;
}

async function submissionOf(deps: SyncDeps, number: number): Promise<Record<string, unknown>> {
  const row = await deps.db.batch.findFirst({ where: { number } });
  if (row === null || row.env === null || row.stateRoot === null) {
    throw new ConflictError(`batch ${number} is not executed on this coordinator`);
  }
  const accessList = deps.accessListOf?.(number);
  return {
    number,
    batch: { ...JSON.parse(row.env), txs: JSON.parse(row.txs) },
    stateRoot: row.stateRoot,
    ...(accessList === undefined ? {} : { accessList }),
  };
}
