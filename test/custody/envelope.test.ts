import { describe, expect, it } from 'vitest';
import { openEnvelope, parseEnvelope, sealEnvelope } from '../../src/custody/envelope.ts';
import { AuthenticationFailedError } from '../../src/custody/errors.ts';
import { computeRound2Shares } from '../../src/custody/frost/keygen-dkg.ts';
import { generateIdentity } from '../../src/custody/identity.ts';
import { overTheWire } from './fixtures.ts';
import { runFullDkg } from './helpers.ts';

const context = { purpose: 'dkg-round2-share', ceremonyId: 'c1' };

describe('end-to-end envelopes for secret shares', () => {
  it('DKG round 2: relayed bytes reveal no share, and the relay cannot open them', () => {
    const dkg = runFullDkg(2, 3);
    const traffic = JSON.stringify({
      packages: dkg.packages,
      echoes: dkg.echoes,
      relayed: dkg.relayed,
    });
    const relay = generateIdentity();
    for (const [i, r] of dkg.r1.entries()) {
      // Recompute the plaintext shares this participant sent (deterministic from its state).
      const sent = computeRound2Shares(dkg.ceremony, r.state, dkg.packages);
      for (const share of Object.values(sent)) {
        expect(traffic).not.toContain(Buffer.from(share).toString('hex'));
        expect(traffic).not.toContain(Buffer.from(share).toString('base64'));
      }
      const mine = dkg.relayed.find((e) => e.from === r.state.identifier)!;
      expect(() =>
        openEnvelope(
          relay,
          dkg.identities[i]!.publicKey,
          { purpose: 'dkg-round2-share', ceremonyId: 'ceremony-1' },
          {
            ...mine.envelope,
            recipientKey: relay.publicKey,
          },
        ),
      ).toThrow(AuthenticationFailedError);
    }
  });

  it('round-trips for the right recipient, sender and context', () => {
    const [alice, bob] = [generateIdentity(), generateIdentity()];
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const sealed = parseEnvelope(overTheWire(sealEnvelope(alice, bob.publicKey, context, secret)));
    expect(openEnvelope(bob, alice.publicKey, context, sealed)).toEqual(secret);
  });

  it('tampered ciphertext is refused', () => {
    const [alice, bob] = [generateIdentity(), generateIdentity()];
    const sealed = sealEnvelope(alice, bob.publicKey, context, new Uint8Array(32).fill(9));
    const flipped = `${sealed.ciphertext.slice(0, -2)}${sealed.ciphertext.endsWith('00') ? '01' : '00'}`;
    expect(() =>
      openEnvelope(bob, alice.publicKey, context, { ...sealed, ciphertext: flipped }),
    ).toThrow(AuthenticationFailedError);
  });

  it('envelope replayed into another ceremony is refused', () => {
    const [alice, bob] = [generateIdentity(), generateIdentity()];
    const sealed = sealEnvelope(alice, bob.publicKey, context, new Uint8Array(32).fill(9));
    const other = { ...context, ceremonyId: 'c2' };
    expect(() =>
      openEnvelope(bob, alice.publicKey, other, { ...sealed, ceremonyId: 'c2' }),
    ).toThrow(AuthenticationFailedError);
  });

  it('relay substituting its own envelope under a participant name is refused', () => {
    const [alice, bob, relay] = [generateIdentity(), generateIdentity(), generateIdentity()];
    const forged = sealEnvelope(relay, bob.publicKey, context, new Uint8Array(32).fill(1));
    expect(() =>
      openEnvelope(bob, alice.publicKey, context, { ...forged, senderKey: alice.publicKey }),
    ).toThrow(AuthenticationFailedError);
  });
});
