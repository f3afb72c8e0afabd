import { describe, expect, it } from 'vitest';
import { openAtRest, sealAtRest } from '../../src/custody/at-rest.ts';
import { AuthenticationFailedError } from '../../src/custody/errors.ts';

const kek = crypto.getRandomValues(new Uint8Array(32));
const secret = crypto.getRandomValues(new Uint8Array(32));

describe('secrets at rest', () => {
  it('open what was sealed under the same KEK and context', () => {
    expect(openAtRest(kek, 'key-share:k1', sealAtRest(kek, 'key-share:k1', secret))).toEqual(
      secret,
    );
  });
  it('the sealed text does not contain the secret', () => {
    expect(sealAtRest(kek, 'key-share:k1', secret)).not.toContain(
      Buffer.from(secret).toString('hex'),
    );
  });
  it('sealed value moved to another row is refused', () => {
    const sealed = sealAtRest(kek, 'key-share:k1', secret);
    expect(() => openAtRest(kek, 'key-share:k2', sealed)).toThrow(AuthenticationFailedError);
  });
  it('wrong KEK is refused', () => {
    const sealed = sealAtRest(kek, 'key-share:k1', secret);
    expect(() =>
      openAtRest(crypto.getRandomValues(new Uint8Array(32)), 'key-share:k1', sealed),
    ).toThrow(AuthenticationFailedError);
  });
});
