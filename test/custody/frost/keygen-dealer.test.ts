import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../../src/custody/envelope.ts';
import { AuthenticationFailedError, InvalidSecretShareError } from '../../../src/custody/errors.ts';
import {
  parseDealerShareEnvelope,
  runDealerAccept,
  runDealerSplit,
} from '../../../src/custody/frost/keygen-dealer.ts';
import { runDkgConfirm } from '../../../src/custody/frost/keygen-dkg.ts';
import { parseGroupKey } from '../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { overTheWire, readFixtureJson } from '../fixtures.ts';
import { makeCeremony, signWith } from '../helpers.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

interface KeyPathVectors {
  keyPathSpending: {
    given: { utxosSpent: { scriptPubKey: string }[] };
    inputSpending: {
      given: { txinIndex: number; internalPrivkey: string; merkleRoot: string | null };
      intermediary: { sigHash: string };
    }[];
  }[];
}

function importKey(min: number, max: number, secret: Uint8Array, merkleRoot?: Uint8Array) {
  const { ceremony, identities } = makeCeremony(min, max, 'import-1');
  const dealer = generateIdentity();
  const split = runDealerSplit({ ceremony, dealer, secretKey: secret, merkleRoot });
  const relayed = overTheWire(split) as typeof split;
  const accepted = identities.map((identity, i) =>
    runDealerAccept({
      ceremony,
      identity,
      dealerKey: dealer.publicKey,
      groupKey: parseGroupKey(relayed.groupKey),
      groupKeySignature: relayed.groupKeySignature,
      envelope: parseDealerShareEnvelope(relayed.envelopes[i]),
    }),
  );
  return { ceremony, identities, dealer, split, accepted };
}

describe('trusted-dealer import of an existing Taproot key', () => {
  const vectors = readFixtureJson<KeyPathVectors>('bips/bip341-wallet-test-vectors.json')
    .keyPathSpending[0]!;

  it.each(vectors.inputSpending.map((v) => [v.given.txinIndex, v] as const))(
    'BIP341 key-path vector input %i: the group key is the output key and a 2-of-3 signature spends it',
    (_index, v) => {
      const merkleRoot = v.given.merkleRoot === null ? undefined : bytes(v.given.merkleRoot);
      const { split, accepted, ceremony } = importKey(
        2,
        3,
        bytes(v.given.internalPrivkey),
        merkleRoot,
      );
      const spk = vectors.given.utxosSpent[v.given.txinIndex]!.scriptPubKey;
      expect(`5120${split.outputKey.slice(2)}`).toBe(spk);
      const confirmations = accepted.map((a) => a.confirmation);
      runDkgConfirm({ ceremony, groupKey: split.groupKey, confirmations });
      const sigHash = bytes(v.intermediary.sigHash);
      const { signature } = signWith(
        split.groupKey,
        [accepted[0]!.share, accepted[2]!.share],
        sigHash,
      );
      expect(schnorr.verify(bytes(signature), sigHash, bytes(spk.slice(4)))).toBe(true);
    },
  );

  it('wipes the dealer secret it was given', () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    importKey(2, 3, secret);
    expect(secret.every((b) => b === 0)).toBe(true);
  });

  it('relayed bytes reveal no share: no envelope, nor the whole relayed traffic, contains one', () => {
    const { split, accepted } = importKey(3, 5, crypto.getRandomValues(new Uint8Array(32)));
    const traffic = JSON.stringify(split);
    for (const a of accepted) expect(traffic).not.toContain(a.share.signingShare.slice(2));
  });

  it('bad share from the dealer: a share off the VSS commitments is refused', () => {
    const { ceremony, identities } = makeCeremony(2, 3, 'import-bad');
    const dealer = generateIdentity();
    const split = runDealerSplit({
      ceremony,
      dealer,
      secretKey: crypto.getRandomValues(new Uint8Array(32)),
    });
    const victim = ceremony.participants[1]!;
    const wrong = sealEnvelope(
      dealer,
      victim.identityKey,
      { purpose: 'dealer-share', ceremonyId: ceremony.ceremonyId },
      crypto.getRandomValues(new Uint8Array(32)),
    );
    expect(() =>
      runDealerAccept({
        ceremony,
        identity: identities[1]!,
        dealerKey: dealer.publicKey,
        groupKey: split.groupKey,
        groupKeySignature: split.groupKeySignature,
        envelope: { to: victim.identifier, envelope: wrong },
      }),
    ).toThrow(InvalidSecretShareError);
  });

  it('group key substitution by the relay: a key the dealer did not sign is refused', () => {
    const a = importKey(2, 3, crypto.getRandomValues(new Uint8Array(32)));
    const other = importKey(2, 3, crypto.getRandomValues(new Uint8Array(32)));
    expect(() =>
      runDealerAccept({
        ceremony: a.ceremony,
        identity: a.identities[0]!,
        dealerKey: a.dealer.publicKey,
        groupKey: other.split.groupKey,
        groupKeySignature: a.split.groupKeySignature,
        envelope: a.split.envelopes[0]!,
      }),
    ).toThrow(AuthenticationFailedError);
  });

  it('share envelope from an impostor dealer is refused', () => {
    const a = importKey(2, 3, crypto.getRandomValues(new Uint8Array(32)));
    expect(() =>
      runDealerAccept({
        ceremony: a.ceremony,
        identity: a.identities[0]!,
        dealerKey: generateIdentity().publicKey,
        groupKey: a.split.groupKey,
        groupKeySignature: a.split.groupKeySignature,
        envelope: a.split.envelopes[0]!,
      }),
    ).toThrow(AuthenticationFailedError);
  });
});
