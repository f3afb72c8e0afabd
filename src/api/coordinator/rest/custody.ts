/**
 * `GET /v1/custody` (the custody address, its descriptor, its outputs, balance and reserves
 * against the bridge's liabilities) and `GET /v1/signers` (each signer's own answer: does it
 * hold its part of the custody key, how far its own rollup is).
 */
import { address } from 'bitcoinjs-lib';
import { z } from 'zod';
import { hex } from '../../../settlement/custody-types/keys.ts';
import { settlementNetwork } from '../../../settlement/networks.ts';
import { ConflictError } from '../../../shared/errors.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import { defineRoute, type Route, type RouteResult } from '../../http/routes.ts';
import type { Custody } from '../custody.ts';
import { registerWithLocalSigners } from '../local-signer-records.ts';
import type { SettlementDeps } from '../settlement/deps.ts';
import { registerOutput } from '../settlement/open.ts';
import { knownOutputs, reservesNow } from '../settlement/propose.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent } from './idempotency.ts';
import { NotReadyError, problems } from './problems.ts';

const CustodyView = z
  .object({
    scheme: z.string(),
    address: z.string(),
    scriptPubKey: z.string(),
    descriptor: z.string(),
    threshold: z.number().int(),
    signers: z.array(z.string()),
    utxos: z.array(
      z.object({
        txid: z.string(),
        vout: z.number().int(),
        valueSats: z.string(),
        confirmations: z.number().int(),
      }),
    ),
    balanceSats: z.string(),
    reserves: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Custody' });

const SignerStatus = z
  .object({
    name: z.string(),
    identityKey: z.string(),
    reachable: z.boolean(),
    holdsKey: z.boolean(),
    /** The newest batch the signer verified in its own rollup, and its post-state root. */
    rollupBatchNumber: z.number().int().nullable(),
    rollupStateRoot: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'SignerStatus' });

export function custodyRoutes(deps: RestDeps): Route[] {
  return [custodyRoute(deps), signersRoute(deps), registerOutputRoute(deps)];
}

const OutputBody = z
  .object({
    txid: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits'),
    vout: z.number().int().min(0).max(0xffff_ffff),
    valueSats: z.string().regex(/^[1-9][0-9]{0,15}$/, 'expected satoshis as a decimal string'),
  })
  .strict();

/**
 * The offline backend has no chain view: the operator registers each custody output it saw
 * confirmed (as `custody settle --register-output` does), here while `custody start` runs. The
 * local signers get the registration too (each checks it against its own records).
 */
function registerOutputRoute(deps: RestDeps): Route {
  return defineRoute({
    method: 'post',
    path: '/v1/custody/outputs',
    operationId: 'registerCustodyOutput',
    summary: 'Offline backend: register a custody output the operator saw confirmed',
    tags: ['custody'],
    auth: true,
    scopes: ['admin'],
    request: { body: OutputBody },
    responses: {
      '201': { description: 'Registered', schema: OutputBody },
      ...problems(400, 401, 403, 409, 413, 415, 429, 503),
    },
    handler: async ({ body, req, res }) =>
      idempotent(
        {
          db: deps.db,
          caller: callerOf(res),
          route: 'POST /v1/custody/outputs',
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
        },
        () => register(deps, body, callerOf(res).keyId),
      ),
  });
}

async function register(
  deps: RestDeps,
  body: z.infer<typeof OutputBody>,
  actor: string,
): Promise<RouteResult> {
  const { custody, settlement } = ready(deps);
  if (settlement.backend.kind !== 'offline') {
    throw new ConflictError(
      'a Bitcoin node is configured (BITCOIN_RPC_URL): custody outputs come from its UTXO set',
    );
  }
  registerOutput(
    deps.config.dataDir,
    `${body.txid}:${body.vout}:${body.valueSats}`,
    settlement.type,
  );
  await registerWithLocalSigners({ config: deps.config, custody, log: deps.log });
  await appendAudit(deps.db, {
    actor,
    action: 'custody.output-registered',
    subject: `${body.txid}:${body.vout}`,
    data: { valueSats: body.valueSats },
  });
  deps.kick();
  return { status: 201, json: body };
}

function ready(deps: RestDeps): { custody: Custody; settlement: SettlementDeps } {
  const custody = deps.custody();
  const settlement = deps.settlement();
  if (custody === undefined || settlement === undefined) {
    throw new NotReadyError('the signers are starting and the custody key is not established yet');
  }
  return { custody, settlement };
}

function custodyRoute(deps: RestDeps): Route {
  const view = sharedCustodyView(deps);
  return defineRoute({
    method: 'get',
    path: '/v1/custody',
    operationId: 'getCustody',
    summary: 'The custody address, descriptor, outputs, balance and reserves',
    tags: ['custody'],
    auth: true,
    responses: {
      '200': { description: 'The custody', schema: CustodyView },
      ...problems(401, 403, 429, 503),
    },
    handler: async () => ({ status: 200, json: await view() }),
  });
}

/**
 * The custody's view, read from the node once for all the requests that arrive while it is
 * read and reused for a second: a node runs one UTXO-set scan at a time, so a scan per request
 * turns a burst of readers into refusals from the node.
 */
function sharedCustodyView(deps: RestDeps): () => Promise<unknown> {
  let current: { at: number; value: Promise<unknown> } | undefined;
  return () => {
    if (current !== undefined && Date.now() - current.at < CUSTODY_VIEW_MS) return current.value;
    const value = custodyView(deps);
    current = { at: Date.now(), value };
    value.catch(() => {
      if (current?.value === value) current = undefined;
    });
    return value;
  };
}

const CUSTODY_VIEW_MS = 1000;

async function custodyView(deps: RestDeps) {
  const { custody, settlement } = ready(deps);
  const network = settlementNetwork(deps.config.network);
  const utxos = await knownOutputs(settlement);
  return {
    scheme: custody.key.scheme,
    address: address.fromOutputScript(settlement.type.scriptPubKey, network.bitcoinjs),
    scriptPubKey: hex(settlement.type.scriptPubKey),
    descriptor: custody.key.descriptor,
    threshold: custody.key.threshold,
    signers: custody.key.signerNames,
    utxos: utxos.map((u) => ({
      txid: u.txid,
      vout: u.vout,
      valueSats: u.valueSats.toString(),
      confirmations: u.confirmations,
    })),
    balanceSats: utxos.reduce((s, u) => s + u.valueSats, 0n).toString(),
    reserves: await reservesNow(settlement, utxos),
  };
}

const SIGNER_TIMEOUT_MS = 3000;

function signersRoute(deps: RestDeps): Route {
  return defineRoute({
    method: 'get',
    path: '/v1/signers',
    operationId: 'listSigners',
    summary: "Each signer's status, from its own signed answers",
    tags: ['custody'],
    auth: true,
    responses: {
      '200': {
        description: 'The signers',
        schema: z.object({ items: z.array(SignerStatus) }).meta({ id: 'Signers' }),
      },
      ...problems(401, 403, 429, 503),
    },
    handler: async () => {
      const { custody } = ready(deps);
      const items = await Promise.all(custody.signers.map((s) => signerStatus(custody, s)));
      return { status: 200, json: { items } };
    },
  });
}

async function signerStatus(
  custody: Custody,
  s: Custody['signers'][number],
): Promise<z.infer<typeof SignerStatus>> {
  const base = { name: s.name, identityKey: s.client.identityKey };
  try {
    const [key, head] = await withTimeout(
      Promise.all([
        s.client.get<{ keyId: string }>(`/v1/keys/${encodeURIComponent(custody.key.id)}`),
        s.client.get<{ number: number; stateRoot: string }>('/v1/rollup/head'),
      ]),
    );
    return {
      ...base,
      reachable: true,
      holdsKey: key.keyId === custody.key.id,
      rollupBatchNumber: head.number,
      rollupStateRoot: head.stateRoot,
      error: null,
    };
  } catch (error) {
    return {
      ...base,
      reachable: false,
      holdsKey: false,
      rollupBatchNumber: null,
      rollupStateRoot: null,
      error: (error as Error).message,
    };
  }
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${SIGNER_TIMEOUT_MS} ms`)),
        SIGNER_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
