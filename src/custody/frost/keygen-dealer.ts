/**
 * Import of an existing key by a trusted dealer (RFC 9591 Appendix C: Shamir over the scalar
 * field with VSS commitments, via noble's trustedDealer). noble's dealer applies no Taproot tweak,
 * so the dealer tweaks the secret first (BIP341 taproot_tweak_seckey; BIP86 when there is no
 * script tree): the FROST group key is then the Taproot output key itself and signing needs no
 * tweak. Each share is sealed to its recipient's identity key; the dealer signs the group key;
 * the dealer's copies of the secret and the shares are wiped before returning.
 *
 * Every recipient checks its share against the VSS commitments (`validateSecret`) and its own
 * verifying share, refuses a bad one, and confirms the group key like a DKG participant.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { InvalidInputError } from '../../shared/errors.ts';
import { openEnvelope, parseEnvelope, type SealedEnvelope, sealEnvelope } from '../envelope.ts';
import { AuthenticationFailedError, InvalidSecretShareError } from '../errors.ts';
import { type IdentityKey, signStatement, verifyStatement } from '../identity.ts';
import { tapTweakSecretKey } from '../taproot.ts';
import { expectHex, expectObject, toHex } from '../wire-check.ts';
import { ceremonyDigest, type KeyCeremony, participantByKey } from './ceremony.ts';
import { type DkgConfirmation, groupKeyHash } from './keygen-dkg.ts';
import { frostSuite } from './suite.ts';
import {
  fromNoblePublic,
  type Hex,
  outputKeyXOnly,
  parseIdentifier,
  toNobleId,
  toNoblePublic,
  type WireGroupKey,
  type WireKeyShare,
} from './wire.ts';

const SHARE_PURPOSE = 'dealer-share';

export interface DealerShareEnvelope {
  to: Hex;
  envelope: SealedEnvelope;
}

export interface DealerSplitOpts {
  ceremony: KeyCeremony;
  dealer: IdentityKey;
  /** The key being imported (Taproot internal key). Zeroed by this call. */
  secretKey: Uint8Array;
  /** BIP341 script tree root, if the output also commits to scripts; absent means BIP86. */
  merkleRoot?: Uint8Array;
}

export interface DealerSplitResult {
  groupKey: WireGroupKey;
  outputKey: Hex;
  /** Dealer's BIP340 signature over the group key, checked by every recipient. */
  groupKeySignature: Hex;
  envelopes: DealerShareEnvelope[];
}

export function runDealerSplit(opts: DealerSplitOpts): DealerSplitResult {
  const { ceremony, dealer } = opts;
  if (ceremony.suite !== 'secp256k1-tr') {
    throw new InvalidInputError('ceremony.suite: key import is for Taproot keys (secp256k1-tr)', {
      field: 'ceremony.suite',
    });
  }
  const frost = frostSuite(ceremony.suite);
  const tweaked = tapTweakSecretKey(opts.secretKey, opts.merkleRoot);
  opts.secretKey.fill(0);
  const ids = ceremony.participants.map((p) => toNobleId(p.identifier));
  const deal = frost.trustedDealer({ ...ceremony.threshold }, ids, tweaked);
  tweaked.fill(0);
  const groupKey = fromNoblePublic(ceremony.suite, deal.public);
  const context = { purpose: SHARE_PURPOSE, ceremonyId: ceremony.ceremonyId };
  const envelopes = ceremony.participants.map((p) => {
    const share = deal.secretShares[toNobleId(p.identifier)]?.signingShare;
    if (share === undefined) throw new Error(`dealer produced no share for ${p.identifier}`);
    const envelope = sealEnvelope(dealer, p.identityKey, context, share);
    share.fill(0);
    return { to: p.identifier, envelope };
  });
  const groupKeySignature = signStatement(
    dealer,
    'dealer-group-key',
    dealerStatement(ceremony, groupKey),
  );
  return { groupKey, outputKey: outputKeyXOnly(groupKey), groupKeySignature, envelopes };
}

export interface DealerAcceptOpts {
  ceremony: KeyCeremony;
  identity: IdentityKey;
  /** The dealer's identity key, known to the signer independently of the relay. */
  dealerKey: Hex;
  groupKey: WireGroupKey;
  groupKeySignature: Hex;
  envelope: DealerShareEnvelope;
}

export interface DealerAcceptResult {
  share: WireKeyShare;
  groupKey: WireGroupKey;
  outputKey: Hex;
  confirmation: DkgConfirmation;
}

export function runDealerAccept(opts: DealerAcceptOpts): DealerAcceptResult {
  const { ceremony, identity, groupKey } = opts;
  const me = participantByKey(ceremony, identity.publicKey);
  if (groupKey.suite !== ceremony.suite || groupKey.threshold.min !== ceremony.threshold.min) {
    throw new InvalidInputError('groupKey: does not match the ceremony', { field: 'groupKey' });
  }
  const statement = dealerStatement(ceremony, groupKey);
  if (!verifyStatement(opts.dealerKey, 'dealer-group-key', statement, opts.groupKeySignature)) {
    throw new AuthenticationFailedError('groupKey: not signed by the dealer');
  }
  if (opts.envelope.to !== me.identifier) {
    throw new InvalidInputError('envelope.to: addressed to another participant', {
      field: 'envelope.to',
    });
  }
  const context = { purpose: SHARE_PURPOSE, ceremonyId: ceremony.ceremonyId };
  const signingShare = openEnvelope(identity, opts.dealerKey, context, opts.envelope.envelope);
  const share: WireKeyShare = {
    suite: ceremony.suite,
    identifier: me.identifier,
    signingShare: toHex(signingShare),
  };
  checkShare(groupKey, share, signingShare);
  signingShare.fill(0);
  const unsigned = {
    ceremonyId: ceremony.ceremonyId,
    identifier: me.identifier,
    groupKeyHash: groupKeyHash(groupKey),
    outputKey: outputKeyXOnly(groupKey),
  };
  const signature = signStatement(identity, 'dkg-confirmation', {
    ceremony: ceremonyDigest(ceremony),
    ...unsigned,
  });
  return {
    share,
    groupKey,
    outputKey: unsigned.outputKey,
    confirmation: { ...unsigned, signature },
  };
}

/** RFC 9591 C.2 vss_verify, plus: our published verifying share is really ours. */
function checkShare(groupKey: WireGroupKey, share: WireKeyShare, signingShare: Uint8Array): void {
  const frost = frostSuite(share.suite);
  try {
    frost.validateSecret(
      { identifier: toNobleId(share.identifier), signingShare },
      toNoblePublic(groupKey),
    );
  } catch (error) {
    throw new InvalidSecretShareError(
      `share does not match the VSS commitments: ${(error as Error).message}`,
    );
  }
  const published = groupKey.verifyingShares[share.identifier];
  const actual = toHex(secp256k1.getPublicKey(signingShare, true));
  if (published !== actual) {
    throw new InvalidSecretShareError(
      'groupKey.verifyingShares: our entry does not match our share',
    );
  }
}

function dealerStatement(ceremony: KeyCeremony, groupKey: WireGroupKey) {
  return { ceremony: ceremonyDigest(ceremony), groupKeyHash: groupKeyHash(groupKey) };
}

export function parseDealerShareEnvelope(value: unknown, field = 'envelope'): DealerShareEnvelope {
  const o = expectObject(value, field);
  return {
    to: parseIdentifier(o.to, `${field}.to`),
    envelope: parseEnvelope(o.envelope, `${field}.envelope`),
  };
}

export function parseSignatureHex(value: unknown, field: string): Hex {
  return expectHex(value, field, 64);
}
