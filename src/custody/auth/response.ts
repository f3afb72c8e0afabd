/**
 * Signer → coordinator response authentication: the signer's identity key signs (request id,
 * status, sha256(body)). Binding the request id means a recorded response cannot be replayed as
 * the answer to another request, and any change to status or body breaks the signature.
 */
import { AuthenticationFailedError } from '../errors.ts';
import { type IdentityKey, signStatement, verifyStatement } from '../identity.ts';
import { bodyHash } from './request.ts';

export const RESPONSE_SIGNATURE_HEADER = 'x-custody-response-signature';

export interface ResponseToSign {
  requestId: string;
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
  if (
    typeof signature !== 'string' ||
    !verifyStatement(signerKey, 'response', statementOf(signerKey, r), signature)
  ) {
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
    requestId: r.requestId,
    status: r.status,
    bodyHash: bodyHash(r.body),
  };
}
