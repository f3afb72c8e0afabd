/**
 * FROST aggregation (RFC 9591 §5.3) by the coordinator. Shares are summed first and the result
 * checked as one signature, because checking every share up front costs a verifyShare (~4 ms)
 * per signer. Only when that check fails are the shares verified one by one (§5.4), and the
 * error names the culprits so the session can retry without them. The output is verified
 * again as a BIP340 signature before anyone can use it.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { InvalidSignatureShareError } from '../errors.ts';
import { hexToBytes, toHex } from '../wire-check.ts';
import { frostSuite } from './suite.ts';
import { verifyGroupSignature } from './verify.ts';
import {
  fromNobleId,
  type Hex,
  toNobleCommitment,
  toNobleId,
  toNoblePublic,
  type WireGroupKey,
  type WireNonceCommitment,
  type WireSignatureShare,
} from './wire.ts';

export interface AggregateOpts {
  groupKey: WireGroupKey;
  commitments: WireNonceCommitment[];
  message: Uint8Array;
  shares: WireSignatureShare[];
}

export interface AggregateResult {
  /** 64-byte BIP340 signature (suite secp256k1-tr) or 65-byte RFC 9591 signature (secp256k1). */
  signature: Hex;
}

export function runAggregate(opts: AggregateOpts): AggregateResult {
  const { groupKey, commitments, message } = opts;
  const shares = sharesBySigner(opts.shares, commitments);
  refuseOutOfRange(opts.shares);
  const frost = frostSuite(groupKey.suite);
  let signature: Uint8Array;
  try {
    signature = frost.aggregate(
      toNoblePublic(groupKey),
      commitments.map(toNobleCommitment),
      message,
      shares,
    );
  } catch (error) {
    const cheaters = (error as { cheaters?: string[] }).cheaters;
    if (cheaters === undefined) throw error;
    throw new InvalidSignatureShareError(cheaters.map(fromNobleId));
  }
  // A signing path verifies its own output before it is used (BIP340 for the Taproot suite).
  if (!verifyGroupSignature(groupKey, message, signature)) {
    throw new Error('aggregated signature failed verification');
  }
  return { signature: toHex(signature) };
}

/**
 * A share at or above the group order is its sender's fault as surely as a wrong one; noble
 * would throw a plain range error for it while summing, which names nobody.
 */
function refuseOutOfRange(list: WireSignatureShare[]): void {
  const { Fn } = secp256k1.Point;
  const outOfRange = list.filter((s) => !Fn.isValid(BigInt(s.share)));
  if (outOfRange.length > 0)
    throw new InvalidSignatureShareError(outOfRange.map((s) => s.identifier));
}

function sharesBySigner(
  list: WireSignatureShare[],
  commitments: WireNonceCommitment[],
): Record<string, Uint8Array> {
  const shares: Record<string, Uint8Array> = {};
  for (const s of list) {
    const id = toNobleId(s.identifier);
    if (id in shares)
      throw new InvalidInputError(`shares: ${s.identifier} appears twice`, { field: 'shares' });
    shares[id] = hexToBytes(s.share);
  }
  const missing = commitments.filter((c) => !(toNobleId(c.identifier) in shares));
  if (missing.length > 0 || list.length !== commitments.length) {
    throw new InvalidInputError(
      `shares: expected one share per committed signer; missing ${missing.map((c) => c.identifier).join(', ') || 'none'}`,
      { field: 'shares' },
    );
  }
  return shares;
}
