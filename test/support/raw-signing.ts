/**
 * For tests of the raw signing rounds (FROST rounds, nonce handling, crash points, replay
 * guards) that sign test messages, not settlements: a verifier that allows every request the
 * proposal binding allows. It exists only here: the product's signer has no such verifier and
 * no setting that reaches one.
 */
import type { PolicyVerifier } from '../../src/api/signer/policy.ts';

export const allowRawForTests: PolicyVerifier = async () => ({ allow: true });

/** `launchSigner({ entry })` for a signer process that runs with allowRawForTests. */
export const RAW_SIGNER_ENTRY: readonly string[] = [
  '--import',
  'tsx',
  'test/support/raw-signer-main.ts',
];
