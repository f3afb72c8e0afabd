/**
 * FROST round 2 (RFC 9591 §5.2 `sign`): a signer turns its stored nonces, the session's
 * commitment list and the message into its signature share. By default it checks its own share
 * against its public verifying share (§5.4) before releasing it, so a faulty computation is
 * caught here rather than blamed on us by the aggregator.
 *
 * The nonces are consumed: once a share is made their fields are overwritten with zeros, so the
 * same object can never make a second share (noble does this to its own byte arrays, which are
 * copies of ours). Durable single use across requests is the signer's store's (invariant 2).
 */
import { InvalidInputError } from '../../shared/errors.ts';
import { hexToBytes, toHex } from '../wire-check.ts';
import { frostSuite } from './suite.ts';
import {
  toNobleCommitment,
  toNobleId,
  toNobleNonces,
  toNoblePublic,
  toNobleSecret,
  type WireGroupKey,
  type WireKeyShare,
  type WireNonceCommitment,
  type WireNonces,
  type WireSignatureShare,
} from './wire.ts';

export interface SignOpts {
  groupKey: WireGroupKey;
  share: WireKeyShare;
  /** The nonces stored when this signer's commitment was published; zeroed by this call. */
  nonces: WireNonces;
  /** Every participant's commitment for this session (parsed with parseCommitmentList). */
  commitments: WireNonceCommitment[];
  message: Uint8Array;
  /** Check the share with verifyShare before returning it (default true; about 4 ms). */
  verifyOwnShare?: boolean;
}

export interface SignResult {
  signatureShare: WireSignatureShare;
}

export function runSign(opts: SignOpts): SignResult {
  const { groupKey, share } = opts;
  if (groupKey.suite !== share.suite) {
    throw new InvalidInputError('share.suite: does not match groupKey.suite', {
      field: 'share.suite',
    });
  }
  const own = opts.commitments.find((c) => c.identifier === share.identifier);
  if (own === undefined) {
    throw new InvalidInputError('commitments: this signer is not in the session', {
      field: 'commitments',
    });
  }
  if (opts.nonces.hiding === USED || opts.nonces.binding === USED) {
    throw new InvalidInputError('nonces: already used for a signature share', { field: 'nonces' });
  }
  const frost = frostSuite(share.suite);
  const pub = toNoblePublic(groupKey);
  const commitments = opts.commitments.map(toNobleCommitment);
  let bytes: Uint8Array;
  try {
    // noble rejects a commitment list whose entry for us does not match these nonces.
    bytes = frost.signShare(
      toNobleSecret(share),
      pub,
      toNobleNonces(opts.nonces),
      commitments,
      opts.message,
    );
  } catch (error) {
    throw new InvalidInputError(`signShare: ${(error as Error).message}`, { field: 'commitments' });
  }
  if (opts.verifyOwnShare !== false) {
    const ok = frost.verifyShare(
      pub,
      commitments,
      opts.message,
      toNobleId(share.identifier),
      bytes,
    );
    if (!ok)
      throw new Error('own signature share failed verification: key share or group key corrupt');
  }
  opts.nonces.hiding = USED;
  opts.nonces.binding = USED;
  return { signatureShare: { identifier: share.identifier, share: toHex(bytes) } };
}

/** What consumed nonces are overwritten with (zero is never a valid nonce). */
const USED = `0x${'00'.repeat(32)}`;

export function signatureShareBytes(share: WireSignatureShare): Uint8Array {
  return hexToBytes(share.share);
}
