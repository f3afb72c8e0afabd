/**
 * A settlement the custody signed without this signer: FROST asks only t signers for their
 * shares, so the others never see it, and their records would stop at the settlement before
 * (the next one spends a change they do not know). The coordinator sends them the signed
 * transaction; a signer records it only as it would sign it: rebuilt from its own records and
 * compared byte for byte (the same check as a signature), then every input's witness verified
 * against the custody key over the sighash it derived itself, which proves a threshold of
 * signers signed exactly this. It binds the outputs and records the change as if it had signed.
 */
import { Transaction } from 'bitcoinjs-lib';
import { unsignedTransaction } from '../../../settlement/build.ts';
import { parsePsbt } from '../../../settlement/psbt.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../shared/errors.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import { bindCustodySql } from '../signer-sql.ts';
import { custodyTypeForKey, type SignerScheme } from './custody.ts';
import type { SettlementRef } from './ref.ts';
import { rebuildOwn, releaseOf, type SettlementVerifierDeps } from './verifier.ts';

export interface LearnRequest {
  keyId: string;
  settlement: SettlementRef;
  /** the fully signed transaction, hex */
  rawTx: string;
}

export interface Learned {
  txid: string;
  /** already in its records (it signed it, or learned it before) */
  known: boolean;
}

/** Refused: the signed transaction is not a settlement this signer's records lead to. */
export class SettlementNotLearnedError extends ConflictError {
  constructor(reason: string) {
    super(`not recorded: ${reason}`, { reason });
  }
}

export async function learnSettlement(
  deps: SettlementVerifierDeps,
  req: LearnRequest,
): Promise<Learned> {
  try {
    return await learn(deps, req);
  } catch (error) {
    if (error instanceof SettlementNotLearnedError) {
      await appendAudit(deps.db, {
        actor: 'coordinator',
        action: 'custody.settlement.refused',
        subject: req.keyId,
        data: { detail: error.message },
      });
    }
    throw error;
  }
}

async function learn(deps: SettlementVerifierDeps, req: LearnRequest): Promise<Learned> {
  const type = await custodyTypeForKey(deps.db, req.keyId, await schemeOf(deps, req.keyId));
  const psbt = parsePsbt(req.settlement.psbt, deps.network);
  const tx = unsignedTransaction(psbt);
  const own = await rebuildOwn(deps, type, psbt, tx, req.settlement);
  if ('reason' in own) throw new SettlementNotLearnedError(own.reason);
  const signed = signedTransaction(req.rawTx);
  const s = own.result.settlement;
  if (signed.getId() !== s.txid) {
    throw new SettlementNotLearnedError(
      `mismatch: the signed transaction ${signed.getId()} is not the settlement ${s.txid} this signer rebuilt`,
    );
  }
  for (let i = 0; i < signed.ins.length; i++) {
    const problem = type.checkWitness(signed, i, s.prevouts);
    if (problem !== null) throw new SettlementNotLearnedError(`unsigned: input ${i}: ${problem}`);
  }
  const known = (await deps.db.signerSettlement.count({ where: { txid: s.txid } })) > 0;
  if (known) return { txid: s.txid, known: true };
  const release = releaseOf(own.result, own.records, req.settlement.batchNumber, own.policy);
  const bound = await deps.db.$transaction((t) => bindCustodySql(t, release));
  if (!bound) {
    throw new SettlementNotLearnedError(
      'rebound: a custody output it spends is bound to another settlement',
    );
  }
  await appendAudit(deps.db, {
    actor: 'coordinator',
    action: 'custody.settlement.learned',
    subject: s.txid,
    data: {
      keyId: req.keyId,
      originalTxid: release.originalTxid,
      batchNumber: release.batchNumber,
    },
  });
  return { txid: s.txid, known: false };
}

async function schemeOf(deps: SettlementVerifierDeps, keyId: string): Promise<SignerScheme> {
  const key = await deps.db.signerKey.findUnique({ where: { id: keyId } });
  if (key === null) throw new NotFoundError(`no key ${keyId}`);
  if (key.scheme === 'frost') return 'frost';
  const row = await deps.db.signerCustody.findUnique({ where: { keyId } });
  if (row === null) throw new ConflictError(`key ${keyId}: no custody definition registered`);
  return (JSON.parse(row.definition) as { scheme: SignerScheme }).scheme;
}

function signedTransaction(rawTx: string): Transaction {
  if (!/^([0-9a-f]{2}){10,1000000}$/.test(rawTx)) {
    throw new InvalidInputError('rawTx: expected the signed transaction as lower-case hex', {
      field: 'rawTx',
    });
  }
  try {
    return Transaction.fromHex(rawTx);
  } catch (error) {
    throw new InvalidInputError(`rawTx: ${(error as Error).message}`, { field: 'rawTx' });
  }
}
