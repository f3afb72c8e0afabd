/**
 * What a signing session needs from a signer, whatever carries it (HTTP to a signer process in
 * production). Every call takes an AbortSignal: the session gives each round a deadline.
 */
import type { Hex, WireNonceCommitment, WireSignatureShare } from '../../../custody/frost/wire.ts';
import type { SettlementRef } from '../../signer/settlement/ref.ts';

export type { SettlementRef };

export interface FrostCommitRequest {
  /** Unique per attempt: a signer binds the nonce it commits to this id and nothing else. */
  sessionId: string;
  keyId: string;
}

export interface FrostSignRequest extends FrostCommitRequest {
  proposalId: string;
  message: Hex;
  commitments: WireNonceCommitment[];
  /** The settlement `message` is a sighash of: signers derive the message from it. */
  settlement?: SettlementRef;
}

export interface FrostSignerClient {
  /** The coordinator's name for the signer (Signer.id). */
  readonly signerId: string;
  /** The signer's FROST identifier in the key's package. */
  readonly identifier: Hex;
  commit(req: FrostCommitRequest, signal: AbortSignal): Promise<WireNonceCommitment>;
  sign(req: FrostSignRequest, signal: AbortSignal): Promise<WireSignatureShare>;
}

export interface MultisigSignRequest {
  sessionId: string;
  keyId: string;
  proposalId: string;
  /** The 32-byte sighash (BIP143 for P2WSH, BIP341 script path for tapscript). */
  sighash: Hex;
  /** The settlement `sighash` is of: signers derive the sighash from it. */
  settlement?: SettlementRef;
}

export interface MultisigSignerClient {
  readonly signerId: string;
  /**
   * The signer's public key as the coordinator recorded it at key set-up (compressed for
   * P2WSH, x-only for tapscript): signatures are checked against this, never against a key
   * the signer sends along with them.
   */
  readonly publicKey: Hex;
  signPartial(req: MultisigSignRequest, signal: AbortSignal): Promise<Hex>;
}
