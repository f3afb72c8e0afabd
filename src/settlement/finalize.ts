/**
 * From a fully signed PSBT to the transaction we broadcast. Every input's signatures are checked
 * against its prevout with libsecp256k1 (tiny-secp256k1) before bitcoinjs-lib's finalisers
 * build the witnesses, and the extracted transaction is checked again: the txid must still be
 * the settlement's and every witness signature must verify over the final transaction.
 */
import type { Transaction } from 'bitcoinjs-lib';
import { CustodyError } from '../shared/errors.ts';
import type { BuiltSettlement } from './build.ts';
import { hex } from './custody-types/keys.ts';
import type { CustodyType } from './custody-types/types.ts';

export class FinalizeError extends CustodyError {
  constructor(detail: string) {
    super('settlement-not-final', 409, 'Settlement cannot be finalised', detail);
  }
}

export interface FinalizedSettlement {
  tx: Transaction;
  rawTx: string;
  txid: string;
  weight: number;
  vsize: number;
}

export function finalizeSettlement(
  settlement: BuiltSettlement,
  custody: CustodyType,
): FinalizedSettlement {
  const psbt = settlement.psbt.clone();
  settlement.inputs.forEach((_, i) => {
    checkInputSignatures(settlement, custody, i);
    custody.finalize(psbt, i);
  });
  // bitcoinjs's own fee-rate guard (5,000 sat/vB) stays on: our cap is far below it.
  const tx = psbt.extractTransaction();
  if (tx.getId() !== settlement.txid) {
    throw new FinalizeError(
      `finalised txid ${tx.getId()} differs from the settlement's ${settlement.txid}`,
    );
  }
  settlement.inputs.forEach((_, i) => {
    const problem = custody.checkWitness(tx, i, settlement.prevouts);
    if (problem !== null) throw new FinalizeError(`input ${i}: ${problem}`);
  });
  if (tx.weight() > settlement.weight) {
    throw new FinalizeError(
      `signed weight ${tx.weight()} exceeds the ${settlement.weight} the fee was sized for`,
    );
  }
  return { tx, rawTx: tx.toHex(), txid: tx.getId(), weight: tx.weight(), vsize: tx.virtualSize() };
}

function checkInputSignatures(
  settlement: BuiltSettlement,
  custody: CustodyType,
  index: number,
): void {
  const sighash = custody.sighash(settlement.unsignedTx, index, settlement.prevouts);
  const sigs = custody.signaturesIn(settlement.psbt, index);
  const bad = sigs.filter((s) => !custody.verifySignature(sighash, s));
  if (bad.length > 0) {
    const keys = bad.map((s) => hex(s.publicKey)).join(', ');
    throw new FinalizeError(
      `input ${index}: signatures by ${keys} do not verify against its prevout`,
    );
  }
  if (sigs.length < custody.threshold) {
    throw new FinalizeError(`input ${index}: ${sigs.length} of ${custody.threshold} signatures`);
  }
}
