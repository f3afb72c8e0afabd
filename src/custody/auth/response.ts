/**
 * Signer → coordinator response authentication: the signer's identity key signs (request hash,
 * status, sha256(body)), and only for a request it verified (auth.ts). Binding the hash of the
 * verified request, not the id a request claims, means a response cannot be passed off as the
 * answer to another request, even one claiming the same id; any change to status or body
 * breaks the signature.
 */
import { AuthenticationFailedError } from '../errors.ts';
import { type IdentityKey, signStatement, verifyStatement } from '../identity.ts';
import { bodyHash } from './request.ts';

export const RESPONSE_SIGNATURE_HEADER = 'x-custody-response-signature';

export interface ResponseToSign {
  /** The verified request's hash (VerifiedRequest.hash, requestHash). */
  requestHash: string;
  status: number;
  body: Uint8Array;
}

export function signResponse(identity: IdentityKey, r: ResponseToSign): string {
  return signStatement(identity, 'response', statementOf(identity.publicKey, r));
}

/** Throws unless `signature` is the expected signer's signature over exactly this response. */
export function verifyResponse(
  signerKey: string,
  r: ResponseToSign,
  signature: string | null | undefined,
): void {
  if (typeof signature !== 'string') {
    // Refusals of requests the signer could not verify carry no signature: nothing in them is
    // the signer's word, so they are not believed either.
    throw new AuthenticationFailedError(
      `unsigned answer (status ${r.status}): the signer did not accept the request as ours`,
      { signerKey },
    );
  }
  if (!verifyStatement(signerKey, 'response', statementOf(signerKey, r), signature)) {
    throw new AuthenticationFailedError(
      'response signature does not verify: tampered or from another signer',
      {
        signerKey,
      },
    );
  }
}

function statementOf(signerKey: string, r: ResponseToSign) {
  return {
    signer: signerKey,
    requestHash: r.requestHash,
    status: r.status,
    bodyHash: bodyHash(r.body),
  };
}
