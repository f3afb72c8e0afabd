/**
 * The signer's HTTP app: the shared conventions (problem+json, health, metrics, OpenAPI) plus
 * the protocol endpoints the coordinator drives. Every /v1 route except the identity lookup is
 * authenticated by a coordinator signature and answered with a signed response (auth.ts).
 * Bodies are checked by the custody wire parsers, which name the offending field.
 */
import { z } from 'zod';
import { parseCeremony } from '../../custody/frost/ceremony.ts';
import { parseDealerShareEnvelope, parseSignatureHex } from '../../custody/frost/keygen-dealer.ts';
import {
  parseDkgEcho,
  parseDkgRound1Package,
  parseDkgShareEnvelope,
} from '../../custody/frost/keygen-dkg.ts';
import { parseCommitmentList, parseGroupKey, type WireGroupKey } from '../../custody/frost/wire.ts';
import { parseIdentityKey } from '../../custody/identity.ts';
import { expectArray, expectInteger, expectObject } from '../../custody/wire-check.ts';
import { InvalidInputError, NotFoundError } from '../../shared/errors.ts';
import { parseHexBytes } from '../../shared/hex.ts';
import type { Store } from '../../store/store.ts';
import { storeChecks } from '../coordinator/app.ts';
import { createHttpApp, type HttpApp } from '../http/app.ts';
import { defineRoute, type Route } from '../http/routes.ts';
import { type RequestRecord, signerAuth, withRequestRecord } from './auth.ts';
import type { SignerContext } from './context.ts';
import { dealerAccept, dkgEcho, dkgRound1, dkgRound2, dkgRound3 } from './dkg-service.ts';
import { durabilityCheck } from './durability.ts';
import {
  createCommitments,
  MAX_COMMITMENTS_PER_REQUEST,
  type SignShareRequest,
  signShares,
} from './frost-service.ts';
import { createMultisigKey, signMultisig } from './multisig-service.ts';
import type { SignerRollup } from './rollup/index.ts';
import { MAX_ROLLUP_BODY_BYTES, ROLLUP_BATCHES_PATH, rollupRoutes } from './rollup/routes.ts';
import { parseSettlementRef, type SettlementRef } from './settlement/ref.ts';
import { settlementRoutes } from './settlement/routes.ts';
import type { SettlementVerifierDeps } from './settlement/verifier.ts';
import { loadFrostKeyCached } from './vault.ts';

const Body = z.record(z.string(), z.unknown());
const ok = (json: unknown) => ({ status: 200, json });
const responses = { '200': { description: 'signed JSON answer (x-custody-response-signature)' } };
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidInputError(`${field}: expected 1-100 characters of [A-Za-z0-9_.:-]`, {
      field,
    });
  }
  return value;
}

function parseShareRequest(
  b: Record<string, unknown>,
  groupKey: WireGroupKey,
  at: string,
): SignShareRequest {
  return {
    nonceId: name(b.nonceId, `${at}nonceId`),
    sessionId: name(b.sessionId, `${at}sessionId`),
    proposalId: name(b.proposalId, `${at}proposalId`),
    message: parseHexBytes(b.message, `${at}message`, 32),
    commitments: parseCommitmentList(b.commitments, groupKey, `${at}commitments`),
    ...settlementOf(b, at),
  };
}

function settlementOf(b: Record<string, unknown>, at: string): { settlement?: SettlementRef } {
  const settlement = parseSettlementRef(b.settlement, `${at}settlement`);
  return settlement === undefined ? {} : { settlement };
}

/**
 * A POST route. The hot protocol routes (ROUTES_RECORDING_OWN_REQUEST_ID) get a RequestRecord
 * and record their request id in the transaction that makes their work durable; every other
 * route has it recorded by the authentication step before its handler runs.
 */
function post(
  path: string,
  operationId: string,
  summary: string,
  handler: (body: Record<string, unknown>, record: RequestRecord | undefined) => Promise<unknown>,
): Route {
  const recorded = ROUTES_RECORDING_OWN_REQUEST_ID.has(path);
  return defineRoute({
    method: 'post',
    path,
    operationId,
    summary,
    auth: true,
    request: { body: Body },
    responses,
    handler: async ({ body, req }) =>
      ok(
        recorded
          ? await withRequestRecord(req, (record) => handler(body, record))
          : await handler(body, undefined),
      ),
  });
}

/** Routes that record their own request id (see post). */
export const ROUTES_RECORDING_OWN_REQUEST_ID: ReadonlySet<string> = new Set([
  '/v1/frost/commitments',
  '/v1/frost/sign',
  '/v1/frost/sign-batch',
  '/v1/multisig/sign',
]);

export function signerRoutes(ctx: SignerContext): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/identity',
      operationId: 'getIdentity',
      summary: "This signer's name and identity public key",
      responses,
      handler: async () => ok({ name: ctx.name, identityKey: ctx.identity.publicKey }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/keys/{keyId}',
      operationId: 'getKey',
      summary: 'Public part of a key this signer holds',
      auth: true,
      request: { params: z.object({ keyId: z.string().regex(NAME) }) },
      responses,
      handler: async ({ params }) => {
        const row = await ctx.db.signerKey.findUnique({ where: { id: params.keyId } });
        if (!row) throw new NotFoundError(`no key ${params.keyId}`);
        return ok({
          keyId: row.id,
          scheme: row.scheme,
          publicKey: row.publicKey,
          publicInfo: JSON.parse(row.publicInfo),
        });
      },
    }),
    post(
      '/v1/dkg/round1',
      'dkgRound1',
      'DKG round 1: signed VSS commitment and proof of knowledge',
      async (b) => ({ package: await dkgRound1(ctx, parseCeremony(b.ceremony)) }),
    ),
    post(
      '/v1/dkg/echo',
      'dkgEcho',
      'DKG echo: sign the hash of the round-1 packages received',
      async (b) => ({
        echo: await dkgEcho(
          ctx,
          name(b.ceremonyId, 'ceremonyId'),
          expectArray(b.packages, 'packages').map((p, i) =>
            parseDkgRound1Package(p, `packages[${i}]`),
          ),
        ),
      }),
    ),
    post(
      '/v1/dkg/round2',
      'dkgRound2',
      'DKG round 2: shares sealed to each recipient',
      async (b) => ({
        envelopes: await dkgRound2(
          ctx,
          name(b.ceremonyId, 'ceremonyId'),
          expectArray(b.echoes, 'echoes').map((e, i) => parseDkgEcho(e, `echoes[${i}]`)),
        ),
      }),
    ),
    post(
      '/v1/dkg/round3',
      'dkgRound3',
      'DKG round 3: open shares, store the key share, confirm the group key',
      async (b) =>
        dkgRound3(
          ctx,
          name(b.ceremonyId, 'ceremonyId'),
          expectArray(b.received, 'received').map((e, i) =>
            parseDkgShareEnvelope(e, `received[${i}]`),
          ),
        ),
    ),
    post(
      '/v1/import/accept',
      'importAccept',
      'Accept a trusted-dealer share (verified before it is stored)',
      async (b) =>
        dealerAccept(ctx, {
          ceremony: parseCeremony(b.ceremony),
          dealerKey: parseIdentityKey(b.dealerKey, 'dealerKey'),
          groupKey: parseGroupKey(b.groupKey),
          groupKeySignature: parseSignatureHex(b.groupKeySignature, 'groupKeySignature'),
          envelope: parseDealerShareEnvelope(b.envelope),
        }),
    ),
    post(
      '/v1/frost/commitments',
      'frostCommitments',
      'Round 1: nonce commitments (one, or a preprocessed batch)',
      async (b, record) => ({
        items: await createCommitments(
          ctx,
          name(b.keyId, 'keyId'),
          b.count === undefined
            ? 1
            : expectInteger(b.count, 'count', 1, MAX_COMMITMENTS_PER_REQUEST),
          record,
        ),
      }),
    ),
    post(
      '/v1/frost/sign',
      'frostSign',
      'Round 2: signature share for one committed nonce',
      async (b, record) => {
        const key = await loadFrostKeyCached(ctx, name(b.keyId, 'keyId'));
        const [result] = await signShares(
          ctx,
          key,
          [parseShareRequest(b, key.groupKey, '')],
          record,
        );
        if (!result || 'error' in result) throw result?.error ?? new Error('no result');
        return result;
      },
    ),
    post(
      '/v1/frost/sign-batch',
      'frostSignBatch',
      'Round 2 for many sessions at once: one result (share or problem) per item',
      async (b, record) => {
        const key = await loadFrostKeyCached(ctx, name(b.keyId, 'keyId'));
        const items = expectArray(b.items, 'items', 1000).map((item, i) =>
          parseShareRequest(expectObject(item, `items[${i}]`), key.groupKey, `items[${i}].`),
        );
        const results = await signShares(ctx, key, items, record);
        return { results: results.map((r) => ('error' in r ? { error: r.error.toProblem() } : r)) };
      },
    ),
    post(
      '/v1/multisig/keys',
      'multisigKey',
      'Generate (or return) this signer’s multi-sig key',
      async (b) => createMultisigKey(ctx, name(b.keyId, 'keyId')),
    ),
    post(
      '/v1/multisig/sign',
      'multisigSign',
      'Partial signature over a sighash (ECDSA for P2WSH, BIP340 for tapscript)',
      async (b, record) => {
        if (b.scriptType !== 'p2wsh' && b.scriptType !== 'tapscript') {
          throw new InvalidInputError('scriptType: expected p2wsh or tapscript', {
            field: 'scriptType',
          });
        }
        return signMultisig(
          ctx,
          {
            keyId: name(b.keyId, 'keyId'),
            proposalId: name(b.proposalId, 'proposalId'),
            scriptType: b.scriptType,
            sighash: Uint8Array.from(parseHexBytes(b.sighash, 'sighash', 32)),
            ...(b.sighashType === undefined
              ? {}
              : { sighashType: expectInteger(b.sighashType, 'sighashType', 0, 255) }),
            ...settlementOf(b, ''),
          },
          record,
        );
      },
    ),
  ];
}

export interface CreateSignerAppOpts {
  ctx: SignerContext;
  store: Store;
  /** The SQLite hot-path connection, when the signer has one: its durability is checked too. */
  hotPath?: { synchronousLevel(): number };
  /** Its own rollup: the /v1/rollup routes. */
  rollup?: SignerRollup;
  /** Its own settlement records: the /v1/custody/settlements routes. */
  settlements?: SettlementVerifierDeps;
  coordinatorKeys: readonly string[];
  version: string;
}

export function createSignerApp(opts: CreateSignerAppOpts): HttpApp {
  const auth = signerAuth({
    db: opts.ctx.db,
    ...(opts.ctx.sql ? { sql: opts.ctx.sql } : {}),
    identity: opts.ctx.identity,
    coordinatorKeys: opts.coordinatorKeys,
    recordsOwnRequestId: (req) =>
      req.method === 'POST' && ROUTES_RECORDING_OWN_REQUEST_ID.has(req.path),
    bodyLimitBytes: (req) =>
      req.method === 'POST' && req.path === ROLLUP_BATCHES_PATH ? MAX_ROLLUP_BODY_BYTES : undefined,
  });
  return createHttpApp({
    log: opts.ctx.log,
    info: {
      title: `rollup custody signer ${opts.ctx.name}`,
      version: opts.version,
      description: 'One signer service: holds one key share or key, its nonces and its own policy.',
    },
    routes: [
      ...signerRoutes(opts.ctx),
      ...(opts.rollup ? rollupRoutes(opts.rollup) : []),
      ...(opts.settlements ? settlementRoutes(opts.settlements) : []),
    ],
    checks: [...storeChecks(opts.store), durabilityCheck(opts.store, opts.hotPath)],
    // Requests come first: the nonce pool refills only while none is in flight.
    authenticate: (req, res, next) => {
      const pool = opts.ctx.noncePool;
      if (pool) {
        pool.requestStarted();
        res.once('close', () => pool.requestEnded());
      }
      return auth(req, res, next);
    },
  });
}
