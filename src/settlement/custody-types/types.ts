/**
 * One uniform shape for every custody script type, as bitcoinjs-lib's payments have one shape:
 * what the output script is, how heavy a spend of it can get (fees are sized for the worst
 * case), which PSBT fields a spend carries, which digest each signer signs and how the
 * signatures become a witness. The builder and the finaliser only talk to this interface.
 */
import type { Psbt, Transaction } from 'bitcoinjs-lib';

export type CustodyTypeName = 'frost-p2tr' | 'multisig-p2wsh' | 'multisig-tapscript';

/** An output being spent: what its scriptPubKey is and what it holds. */
export interface Prevout {
  scriptPubKey: Uint8Array;
  valueSats: bigint;
}

/** The PSBT input fields (BIP174/BIP371) a spend of this type carries besides witnessUtxo. */
export type PsbtSpendFields = Parameters<Psbt['updateInput']>[1];

/** A signature and the key it verifies under, as the PSBT stores it. */
export interface InputSignature {
  /** Compressed (P2WSH) or x-only (Taproot) public key. */
  publicKey: Uint8Array;
  /** DER + sighash byte (ECDSA), or 64/65-byte BIP340 signature. */
  signature: Uint8Array;
}

export interface CustodyType {
  readonly name: CustodyTypeName;
  readonly scriptPubKey: Uint8Array;
  /** Signatures a spend needs. */
  readonly threshold: number;
  /** Keys that may sign a spend (x-only for Taproot types), in the order the script uses. */
  readonly signingKeys: readonly Uint8Array[];
  /** Witness bytes of one input in the largest spend policy allows (its weight, 1 WU each). */
  readonly maxWitnessBytes: number;
  /** The sighash type every signature must carry (SIGHASH_DEFAULT or SIGHASH_ALL). */
  readonly sighashType: number;
  psbtFields(): PsbtSpendFields;
  /** The digest each signer signs for input `index` (BIP341 or BIP143, by bitcoinjs-lib). */
  sighash(tx: Transaction, index: number, prevouts: readonly Prevout[]): Uint8Array;
  /** True when `signature` by `publicKey` is valid for input `index` (libsecp256k1). */
  verifySignature(sighash: Uint8Array, sig: InputSignature): boolean;
  /** Record signatures in the PSBT's input (partialSig, tapScriptSig or tapKeySig). */
  addSignatures(psbt: Psbt, index: number, sigs: readonly InputSignature[]): void;
  /** Signatures already in the PSBT's input. */
  signaturesIn(psbt: Psbt, index: number): InputSignature[];
  /**
   * The signatures in a finalised input's witness, each matched to its key by verifying it
   * against `sighash` (the witness does not name keys). A co-signer's wallet that completes an
   * input finalises it: Bitcoin Core's `walletprocesspsbt` (Litecoin Core 0.21 has no
   * `finalize` argument; later releases default it to true) replaces partialSig and
   * witnessScript by finalScriptWitness. A string says why the witness is not a spend of this
   * custody script. Absent: a finalised upload of this type is refused.
   */
  signaturesInWitness?(
    witness: readonly Uint8Array[],
    sighash: Uint8Array,
  ): InputSignature[] | string;
  /**
   * Check a finalised input's witness against its prevout: the script and control block are
   * this custody's, and enough of its signatures verify (libsecp256k1) over the final
   * transaction in the order the script consumes them. null when it holds, else why not.
   */
  checkWitness(tx: Transaction, index: number, prevouts: readonly Prevout[]): string | null;
  /** Turn `threshold` signatures into the final witness (bitcoinjs-lib's finalisers). */
  finalize(psbt: Psbt, index: number): void;
}
