/**
 * Key ceremonies on the signer. Each round's answer is stored before it is returned, so a
 * repeated or resumed request gets the same answer (the coordinator may retry after a time-out)
 * and a changed input for a round already answered is refused rather than answered twice.
 * The DKG polynomial state is sealed under the KEK and erased once the key share is stored.
 */
import { openJson, sealJson } from '../../custody/at-rest.ts';
import { type Canonical, canonicalJson } from '../../custody/canonical.ts';
import type { KeyCeremony } from '../../custody/frost/ceremony.ts';
import { type DealerAcceptOpts, runDealerAccept } from '../../custody/frost/keygen-dealer.ts';
import {
  type DkgEcho,
  type DkgRound1Package,
  type DkgShareEnvelope,
  runDkgEcho,
  runDkgRound1,
  runDkgRound2,
  runDkgRound3,
  type WireDkgState,
} from '../../custody/frost/keygen-dkg.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors.ts';
import { appendAudit } from '../../store/audit-log.ts';
import type { SignerContext } from './context.ts';
import { type FrostKeyRecord, storeFrostKey } from './vault.ts';

const same = (a: unknown, b: unknown) =>
  canonicalJson(a as Canonical) === canonicalJson(b as Canonical);

export async function dkgRound1(
  ctx: SignerContext,
  ceremony: KeyCeremony,
): Promise<DkgRound1Package> {
  const row = await ctx.db.signerCeremony.findUnique({ where: { id: ceremony.ceremonyId } });
  if (row) {
    if (!same(JSON.parse(row.ceremony), ceremony) || row.round1 === null) {
      throw new ConflictError(`ceremony ${ceremony.ceremonyId} exists with other parameters`);
    }
    return JSON.parse(row.round1) as DkgRound1Package;
  }
  if (await ctx.db.signerKey.findUnique({ where: { id: ceremony.ceremonyId } })) {
    throw new ConflictError(`key ${ceremony.ceremonyId} already exists`);
  }
  const { state, package: pkg } = runDkgRound1({ ceremony, identity: ctx.identity });
  await ctx.db.signerCeremony.create({
    data: {
      id: ceremony.ceremonyId,
      kind: 'dkg',
      ceremony: JSON.stringify(ceremony),
      status: 'round1',
      sealedState: sealJson(ctx.kek, `dkg-state:${ceremony.ceremonyId}`, state),
      round1: JSON.stringify(pkg),
    },
  });
  await appendAudit(ctx.db, {
    actor: ctx.name,
    action: 'dkg.round1',
    subject: ceremony.ceremonyId,
  });
  return pkg;
}

async function loadCeremony(ctx: SignerContext, ceremonyId: string) {
  const row = await ctx.db.signerCeremony.findUnique({ where: { id: ceremonyId } });
  if (row?.kind !== 'dkg') throw new NotFoundError(`no DKG ceremony ${ceremonyId} on this signer`);
  const ceremony = JSON.parse(row.ceremony) as KeyCeremony;
  const state = () => {
    if (row.sealedState === null) throw new ConflictError(`ceremony ${ceremonyId} is finished`);
    return openJson<WireDkgState>(ctx.kek, `dkg-state:${ceremonyId}`, row.sealedState);
  };
  return { row, ceremony, state };
}

export async function dkgEcho(
  ctx: SignerContext,
  ceremonyId: string,
  packages: DkgRound1Package[],
): Promise<DkgEcho> {
  const { row, ceremony, state } = await loadCeremony(ctx, ceremonyId);
  if (row.echo !== null) {
    if (!same(JSON.parse(row.packages as string), packages)) {
      throw new ConflictError('echo already given for a different set of round-1 packages');
    }
    return JSON.parse(row.echo) as DkgEcho;
  }
  const { echo } = runDkgEcho({ ceremony, identity: ctx.identity, state: state(), packages });
  await ctx.db.signerCeremony.update({
    where: { id: ceremonyId },
    data: { status: 'echo', packages: JSON.stringify(packages), echo: JSON.stringify(echo) },
  });
  return echo;
}

export async function dkgRound2(
  ctx: SignerContext,
  ceremonyId: string,
  echoes: DkgEcho[],
): Promise<DkgShareEnvelope[]> {
  const { row, ceremony, state } = await loadCeremony(ctx, ceremonyId);
  if (row.packages === null) throw new ConflictError('round 2 before the echo round');
  if (row.round2 !== null) {
    if (!same(JSON.parse(row.echoes as string), echoes))
      throw new ConflictError('round 2 already answered for other echoes');
    return JSON.parse(row.round2) as DkgShareEnvelope[];
  }
  const packages = JSON.parse(row.packages) as DkgRound1Package[];
  const { envelopes } = runDkgRound2({
    ceremony,
    identity: ctx.identity,
    state: state(),
    packages,
    echoes,
  });
  await ctx.db.signerCeremony.update({
    where: { id: ceremonyId },
    data: { status: 'round2', echoes: JSON.stringify(echoes), round2: JSON.stringify(envelopes) },
  });
  return envelopes;
}

export interface CeremonyResult {
  keyId: string;
  groupKey: unknown;
  outputKey: string;
  confirmation: unknown;
}

export async function dkgRound3(
  ctx: SignerContext,
  ceremonyId: string,
  received: DkgShareEnvelope[],
): Promise<CeremonyResult> {
  const { row, ceremony, state } = await loadCeremony(ctx, ceremonyId);
  if (row.result !== null) return JSON.parse(row.result) as CeremonyResult;
  if (row.round2 === null || row.packages === null || row.echoes === null) {
    throw new ConflictError('round 3 before round 2');
  }
  const out = runDkgRound3({
    ceremony,
    identity: ctx.identity,
    state: state(),
    packages: JSON.parse(row.packages) as DkgRound1Package[],
    echoes: JSON.parse(row.echoes) as DkgEcho[],
    received,
  });
  return storeCeremonyKey(ctx, ceremonyId, out, 'dkg.done', (tx, result) =>
    tx.signerCeremony.update({
      where: { id: ceremonyId },
      data: { status: 'done', sealedState: null, result: JSON.stringify(result) },
    }),
  );
}

/**
 * A trusted-dealer import, from a dealer this signer's config names. The request says which
 * dealer signed it, but only the config says which dealers may: anyone able to sign requests
 * (the coordinator) could otherwise deal a key whose whole secret it knows.
 */
export async function dealerAccept(
  ctx: SignerContext,
  opts: Omit<DealerAcceptOpts, 'identity'>,
): Promise<CeremonyResult> {
  if (!ctx.dealerKeys.includes(opts.dealerKey)) {
    throw new ForbiddenError(
      `dealer ${opts.dealerKey} is not allowed by this signer's config (dealerKeys)`,
    );
  }
  const id = opts.ceremony.ceremonyId;
  const existing = await ctx.db.signerCeremony.findUnique({ where: { id } });
  if (existing?.result) return JSON.parse(existing.result) as CeremonyResult;
  if (existing) throw new ConflictError(`ceremony ${id} exists`);
  const out = runDealerAccept({ ...opts, identity: ctx.identity });
  return storeCeremonyKey(ctx, id, out, 'import.done', (tx, result) =>
    tx.signerCeremony.create({
      data: {
        id,
        kind: 'import',
        ceremony: JSON.stringify(opts.ceremony),
        status: 'done',
        result: JSON.stringify(result),
      },
    }),
  );
}

/**
 * The end of every key ceremony (DKG or import): the sealed share and the ceremony's record
 * commit in one transaction, so a restarted signer either has both or repeats the last round;
 * then the audit entry.
 */
async function storeCeremonyKey(
  ctx: SignerContext,
  keyId: string,
  out: Omit<FrostKeyRecord, 'keyId'> & { confirmation: unknown },
  action: 'dkg.done' | 'import.done',
  recordCeremony: (tx: SignerContext['db'], result: CeremonyResult) => Promise<unknown>,
): Promise<CeremonyResult> {
  const result: CeremonyResult = {
    keyId,
    groupKey: out.groupKey,
    outputKey: out.outputKey,
    confirmation: out.confirmation,
  };
  await ctx.db.$transaction(async (tx) => {
    await storeFrostKey(tx as SignerContext['db'], ctx.kek, {
      keyId,
      groupKey: out.groupKey,
      share: out.share,
      outputKey: out.outputKey,
    });
    await recordCeremony(tx as SignerContext['db'], result);
  });
  await appendAudit(ctx.db, {
    actor: ctx.name,
    action,
    subject: keyId,
    data: { outputKey: out.outputKey },
  });
  return result;
}
