/**
 * FROST round 1 (RFC 9591 §5.1 `commit`): a signer draws a nonce pair and publishes only its
 * commitments. The caller must store `nonces` durably BEFORE `commitment` leaves the process, and
 * use them for exactly one signature share.
 */
import type { RNG } from '@noble/curves/abstract/frost.js';
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
