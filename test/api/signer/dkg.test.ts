/**
 * DKG across signer processes when things go wrong: every signer restarted between rounds
 * (state comes back from its database, rounds already answered give the same answer), and a
 * relay that shows one signer a different package set (refused before any share is sent).
 */
import { describe, expect, it } from 'vitest';
import { parseCeremony } from '../../../src/custody/frost/ceremony.ts';
import type {
  DkgEcho,
  DkgRound1Package,
  DkgShareEnvelope,
} from '../../../src/custody/frost/keygen-dkg.ts';
import { parseDkgConfirmation, runDkgConfirm } from '../../../src/custody/frost/keygen-dkg.ts';
import { parseGroupKey } from '../../../src/custody/frost/wire.ts';
import { generateIdentity } from '../../../src/custody/identity.ts';
import { startSignerProcess, useSignerFleet } from './harness.ts';

const coordinator = generateIdentity();
const { homes, procs } = useSignerFleet('d', 3, coordinator);

const ceremonyFor = (ceremonyId: string) =>
  parseCeremony({
    ceremonyId,
    suite: 'secp256k1-tr',
    threshold: { min: 2, max: 3 },
    participants: procs.map((p) => ({ identifier: p.identifier, identityKey: p.identityKey })),
  });

async function restartAll(): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
  const again = await Promise.all(homes.map((h) => startSignerProcess(h, coordinator)));
  procs.splice(0, procs.length, ...again);
}

describe('DKG across signer processes', () => {
  it('survives a restart of every signer between rounds, with idempotent rounds', async () => {
    const ceremony = ceremonyFor('dkg-restart');
    const { ceremonyId } = ceremony;
    const r1 = await Promise.all(
      procs.map((p) =>
        p.client.post<{ package: DkgRound1Package }>('/v1/dkg/round1', { ceremony }),
      ),
    );
    const packages = r1.map((r) => r.package);
    await restartAll();
    const again = await procs[0]!.client.post<{ package: DkgRound1Package }>('/v1/dkg/round1', {
      ceremony,
    });
    expect(again.package).toEqual(packages[0]);
    const echoes = (
      await Promise.all(
        procs.map((p) =>
          p.client.post<{ echo: DkgEcho }>('/v1/dkg/echo', { ceremonyId, packages }),
        ),
      )
    ).map((r) => r.echo);
    await restartAll();
    const envelopes = (
      await Promise.all(
        procs.map((p) =>
          p.client.post<{ envelopes: DkgShareEnvelope[] }>('/v1/dkg/round2', {
            ceremonyId,
            echoes,
          }),
        ),
      )
    ).flatMap((r) => r.envelopes);
    await restartAll();
    const r3 = await Promise.all(
      procs.map((p) =>
        p.client.post<{ groupKey: unknown; confirmation: unknown }>('/v1/dkg/round3', {
          ceremonyId,
          received: envelopes.filter((e) => e.to === p.identifier),
        }),
      ),
    );
    const { outputKey } = runDkgConfirm({
      ceremony,
      groupKey: parseGroupKey(r3[0]!.groupKey),
      confirmations: r3.map((r) => parseDkgConfirmation(r.confirmation)),
    });
    expect(outputKey).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('inconsistent DKG packages: a relay altering one signer view gets no shares from anyone', async () => {
    const ceremony = ceremonyFor('dkg-equivocation');
    const { ceremonyId } = ceremony;
    const r1 = await Promise.all(
      procs.map((p) =>
        p.client.post<{ package: DkgRound1Package }>('/v1/dkg/round1', { ceremony }),
      ),
    );
    const packages = r1.map((r) => r.package);
    // The relay drops a package for signer 3 and re-sends signer 1's in its place.
    const forThird = [
      packages[0]!,
      packages[1]!,
      { ...packages[0]!, identifier: packages[2]!.identifier },
    ];
    await expect(
      procs[2]!.client.post('/v1/dkg/echo', { ceremonyId, packages: forThird }),
    ).rejects.toMatchObject({
      status: 401,
    });
    // With honest echoes from two and a forged one for the third, round 2 is refused by everyone.
    const echoes = (
      await Promise.all(
        procs
          .slice(0, 2)
          .map((p) => p.client.post<{ echo: DkgEcho }>('/v1/dkg/echo', { ceremonyId, packages })),
      )
    ).map((r) => r.echo);
    const forged = { ...echoes[0]!, identifier: procs[2]!.identifier };
    for (const p of procs.slice(0, 2)) {
      await expect(
        p.client.post('/v1/dkg/round2', { ceremonyId, echoes: [...echoes, forged] }),
      ).rejects.toMatchObject({
        status: 409,
      });
    }
  });
});
