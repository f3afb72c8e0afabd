/**
 * Secrets at rest: AES-256-GCM under the signer's key-encryption key (KEK). The associated data
 * names what the value is and which row holds it ("key-share:<keyId>"), so a sealed value copied
 * into another row (or another kind of row) fails to open instead of being misused.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { InvalidInputError } from '../shared/errors.ts';
import { AuthenticationFailedError } from './errors.ts';

const PREFIX = 'aes256gcm:v1:';

export function checkKek(kek: Uint8Array): void {
  if (kek.length !== 32)
    throw new InvalidInputError('KEK: expected exactly 32 bytes', { field: 'kek' });
}

export function sealAtRest(kek: Uint8Array, context: string, plaintext: Uint8Array): string {
  checkKek(kek);
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const ct = gcm(kek, nonce, new TextEncoder().encode(context)).encrypt(plaintext);
  return `${PREFIX}${Buffer.from(nonce).toString('hex')}:${Buffer.from(ct).toString('hex')}`;
}

export function openAtRest(kek: Uint8Array, context: string, sealed: string): Uint8Array {
  checkKek(kek);
  const [nonce, ct] = sealed.startsWith(PREFIX) ? sealed.slice(PREFIX.length).split(':') : [];
  if (!nonce || !ct) throw new AuthenticationFailedError(`sealed ${context}: unrecognised format`);
  try {
    return gcm(kek, Buffer.from(nonce, 'hex'), new TextEncoder().encode(context)).decrypt(
      Buffer.from(ct, 'hex'),
    );
  } catch {
    throw new AuthenticationFailedError(
      `sealed ${context}: does not open under this KEK (wrong KEK or moved value)`,
    );
  }
}

export function sealJson(kek: Uint8Array, context: string, value: unknown): string {
  return sealAtRest(kek, context, new TextEncoder().encode(JSON.stringify(value)));
}

export function openJson<T>(kek: Uint8Array, context: string, sealed: string): T {
  const bytes = openAtRest(kek, context, sealed);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } finally {
    bytes.fill(0);
  }
}
