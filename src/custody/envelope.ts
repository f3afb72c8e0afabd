/**
 * End-to-end encryption of secret shares in transit (DKG round 2, dealer import): the relay
 * (coordinator) carries the bytes but can neither read nor alter them.
 *
 * Confidentiality: ECIES on secp256k1. A fresh ephemeral key e; k = HKDF-SHA256(ikm = x(e·R),
 * salt = E || R, info = purpose tag); ChaCha20-Poly1305 under k with the context (purpose,
 * ceremony, sender and recipient identity keys, E) as associated data, so an envelope cannot
 * be replayed into another ceremony or redirected to another recipient.
 * Authenticity: the sender's identity key signs the whole envelope (BIP340), so the relay cannot
 * substitute its own envelope under the sender's name.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { InvalidInputError } from '../shared/errors.ts';
import { canonicalJson } from './canonical.ts';
import { AuthenticationFailedError } from './errors.ts';
import { type IdentityKey, parseIdentityKey, signStatement, verifyStatement } from './identity.ts';
import { expectHex, expectObject, expectString, hexToBytes, toHex } from './wire-check.ts';

export interface EnvelopeContext {
  /** What the plaintext is, e.g. 'dkg-round2-share' or 'dealer-share'. */
  purpose: string;
  /** The ceremony (or session) this envelope belongs to. */
  ceremonyId: string;
}

export interface SealedEnvelope {
  purpose: string;
  ceremonyId: string;
  senderKey: string;
  recipientKey: string;
  ephemeralKey: string;
  nonce: string;
  ciphertext: string;
  signature: string;
}

const ENVELOPE_STATEMENT = 'envelope';

export function sealEnvelope(
  sender: IdentityKey,
  recipientKey: string,
  context: EnvelopeContext,
  plaintext: Uint8Array,
): SealedEnvelope {
  const ephemeral = secp256k1.utils.randomSecretKey();
  const ephemeralKey = toHex(secp256k1.getPublicKey(ephemeral, true));
  const key = deriveKey(
    secp256k1.getSharedSecret(ephemeral, hexToBytes(recipientKey)),
    ephemeralKey,
    recipientKey,
    context,
  );
  ephemeral.fill(0);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const header = { ...context, senderKey: sender.publicKey, recipientKey, ephemeralKey };
  const ciphertext = chacha20poly1305(key, nonce, associatedData(header)).encrypt(plaintext);
  key.fill(0);
  const unsigned = { ...header, nonce: toHex(nonce), ciphertext: toHex(ciphertext) };
  return { ...unsigned, signature: signStatement(sender, ENVELOPE_STATEMENT, unsigned) };
}

/**
 * Opens an envelope addressed to `recipient` from `expectedSenderKey` in `context`. Any
 * mismatch (wrong sender, recipient, ceremony, purpose, signature or tag) is refused.
 */
export function openEnvelope(
  recipient: IdentityKey,
  expectedSenderKey: string,
  context: EnvelopeContext,
  envelope: SealedEnvelope,
): Uint8Array {
  const mismatch =
    envelope.senderKey !== expectedSenderKey ||
    envelope.recipientKey !== recipient.publicKey ||
    envelope.purpose !== context.purpose ||
    envelope.ceremonyId !== context.ceremonyId;
  if (mismatch)
    throw new AuthenticationFailedError('envelope: addressed to another party or ceremony');
  const { signature, ...unsigned } = envelope;
  if (!verifyStatement(envelope.senderKey, ENVELOPE_STATEMENT, unsigned, signature)) {
    throw new AuthenticationFailedError('envelope: sender signature does not verify');
  }
  const shared = secp256k1.getSharedSecret(recipient.secretKey, hexToBytes(envelope.ephemeralKey));
  const key = deriveKey(shared, envelope.ephemeralKey, recipient.publicKey, context);
  const { nonce, ciphertext, ...header } = unsigned;
  try {
    return chacha20poly1305(key, hexToBytes(nonce), associatedData(header)).decrypt(
      hexToBytes(ciphertext),
    );
  } catch {
    throw new AuthenticationFailedError('envelope: ciphertext does not authenticate');
  } finally {
    key.fill(0);
  }
}

export function parseEnvelope(value: unknown, field = 'envelope'): SealedEnvelope {
  const o = expectObject(value, field);
  return {
    purpose: expectString(o.purpose, `${field}.purpose`),
    ceremonyId: expectString(o.ceremonyId, `${field}.ceremonyId`),
    senderKey: parseIdentityKey(o.senderKey, `${field}.senderKey`),
    recipientKey: parseIdentityKey(o.recipientKey, `${field}.recipientKey`),
    ephemeralKey: parseIdentityKey(o.ephemeralKey, `${field}.ephemeralKey`),
    nonce: expectHex(o.nonce, `${field}.nonce`, 12),
    ciphertext: checkCiphertext(o.ciphertext, `${field}.ciphertext`),
    signature: expectHex(o.signature, `${field}.signature`, 64),
  };
}

function checkCiphertext(value: unknown, field: string): string {
  const hex = expectHex(value, field);
  if (hex.length < 2 + 2 * 16 || hex.length > 2 + 2 * 4096) {
    throw new InvalidInputError(`${field}: expected 16 to 4096 bytes`, { field });
  }
  return hex;
}

function deriveKey(
  shared: Uint8Array,
  ephemeralKey: string,
  recipientKey: string,
  context: EnvelopeContext,
): Uint8Array {
  // x coordinate only: the compressed point's prefix byte carries no secret.
  const ikm = shared.subarray(1);
  const salt = new Uint8Array([...hexToBytes(ephemeralKey), ...hexToBytes(recipientKey)]);
  const info = new TextEncoder().encode(`rollup-custody/v1/envelope/${context.purpose}`);
  const key = hkdf(sha256, ikm, salt, info, 32);
  shared.fill(0);
  return key;
}

function associatedData(header: Record<string, string>): Uint8Array {
  return new TextEncoder().encode(canonicalJson(header));
}
