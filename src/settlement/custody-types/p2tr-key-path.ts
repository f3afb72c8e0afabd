/**
 * FROST custody: a Taproot output spent through the key path. The FROST group key is the
 * output key itself (src/custody/frost tweaks before or during key generation), so one BIP340
 * signature by the group spends it.
 */
import { type Psbt, payments, Transaction } from 'bitcoinjs-lib';
import { InvalidInputError } from '../../shared/errors.ts';
import { ecc } from '../ecc.ts';
import { equalBytes, parseXOnlyKey } from './keys.ts';
import type { CustodyType, InputSignature, Prevout } from './types.ts';

export interface P2trKeyPathOpts {
  /** The 32-byte x-only Taproot output key (0x-hex or bytes). */
  outputKey: string | Uint8Array;
}

/**
 * BIP341 key path witness: one 64-byte signature (SIGHASH_DEFAULT adds no type byte).
 * Witness bytes: item count (1) + length (1) + 64.
 */
const KEY_PATH_WITNESS_BYTES = 1 + 1 + 64;

export function p2trKeyPath(opts: P2trKeyPathOpts): CustodyType {
  const outputKey = parseXOnlyKey(opts.outputKey, 'outputKey');
  // bitcoinjs takes `pubkey` as the already-tweaked output key.
  const payment = payments.p2tr({ pubkey: outputKey });
  const scriptPubKey = payment.output as Uint8Array;
  return {
    name: 'frost-p2tr',
    scriptPubKey,
    threshold: 1,
    signingKeys: [outputKey],
    maxWitnessBytes: KEY_PATH_WITNESS_BYTES,
    sighashType: Transaction.SIGHASH_DEFAULT,
    psbtFields: () => ({}),
    sighash: (tx, index, prevouts) => keyPathSighash(tx, index, prevouts),
    verifySignature: (sighash, sig) =>
      sig.signature.length === 64 &&
      equalBytes(sig.publicKey, outputKey) &&
      ecc.verifySchnorr(sighash, outputKey, sig.signature),
    addSignatures(psbt, index, sigs) {
      if (sigs.length === 0) return;
      const [first] = sigs;
      if (first === undefined || sigs.length !== 1) {
        throw new InvalidInputError('signatures: a key path spend takes exactly one signature');
      }
      psbt.updateInput(index, { tapKeySig: first.signature });
    },
    signaturesIn: (psbt, index) => keySigIn(psbt, index, outputKey),
    checkWitness(tx, index, prevouts) {
      const witness = tx.ins[index]?.witness ?? [];
      const [sig] = witness;
      if (witness.length !== 1 || sig === undefined || sig.length !== 64) {
        return 'a key path witness is one 64-byte signature';
      }
      const sighash = keyPathSighash(tx, index, prevouts);
      return ecc.verifySchnorr(sighash, outputKey, sig)
        ? null
        : 'the key path signature does not verify';
    },
    finalize: (psbt, index) => {
      psbt.finalizeInput(index);
    },
  };
}

function keyPathSighash(tx: Transaction, index: number, prevouts: readonly Prevout[]): Uint8Array {
  return tx.hashForWitnessV1(
    index,
    prevouts.map((p) => p.scriptPubKey),
    prevouts.map((p) => p.valueSats),
    Transaction.SIGHASH_DEFAULT,
  );
}

function keySigIn(psbt: Psbt, index: number, outputKey: Uint8Array): InputSignature[] {
  const sig = psbt.data.inputs[index]?.tapKeySig;
  return sig === undefined ? [] : [{ publicKey: outputKey, signature: sig }];
}
