/**
 * FROST round 1 (RFC 9591 §5.1 `commit`): a signer draws a nonce pair and publishes only its
 * commitments. The caller must store `nonces` durably BEFORE `commitment` leaves the process, and
 * use them for exactly one signature share.
 */
import type { RNG } from '@noble/curves/abstract/frost.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { frostSuite } from './suite.ts';
import {
  fromNobleCommitment,
  fromNobleNonces,
  toNobleSecret,
  type WireKeyShare,
  type WireNonceCommitment,
  type WireNonces,
} from './wire.ts';

export interface CommitOpts {
  share: WireKeyShare;
  /** Only for reference vectors, which fix the nonce randomness; production uses the default CSPRNG. */
  rng?: RNG;
}

export interface CommitResult {
  /** Secret: store before publishing the commitment; erase once used. */
  nonces: WireNonces;
  commitment: WireNonceCommitment;
}

export function runCommit(opts: CommitOpts): CommitResult {
  const frost = frostSuite(opts.share.suite);
  const generated = frost.commit(toNobleSecret(opts.share), opts.rng);
  const result = {
    nonces: fromNobleNonces(generated.nonces),
    commitment: fromNobleCommitment(generated.commitments),
  };
  generated.nonces.hiding.fill(0);
  generated.nonces.binding.fill(0);
  return result;
}

export interface CommitBatchOpts {
  share: WireKeyShare;
  count: number;
}

export interface CommitBatchResult {
  items: CommitResult[];
}

/** Preprocessing: many round-1 commitments at once, so a later signing needs one round trip. */
export function runCommitBatch(opts: CommitBatchOpts): CommitBatchResult {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 1000) {
    throw new InvalidInputError('count: expected an integer from 1 to 1000', { field: 'count' });
  }
  const items: CommitResult[] = [];
  for (let i = 0; i < opts.count; i++) items.push(runCommit({ share: opts.share }));
  return { items };
}
