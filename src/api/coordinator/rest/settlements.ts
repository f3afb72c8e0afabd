/**
 * `GET /v1/settlements`, `GET /v1/settlements/{id}` and its PSBT. Settlement status: proposed →
 * approved → signing → signed → broadcast → confirmed, or exported (offline backend), failed
 * with a reason, held (the custody cannot pay it yet). `txid` and `rawTx` appear once the
 * transaction is broadcast (or exported), not before.
 */
import { address } from 'bitcoinjs-lib';
import { z } from 'zod';
import { approvalMessage } from '../../../settlement/approval-message.ts';
import { unsignedTransaction } from '../../../settlement/build.ts';
import { type SettlementNetwork, settlementNetwork } from '../../../settlement/networks.ts';
import { importSignatures, parsePsbt } from '../../../settlement/psbt.ts';
import type { StoredInputs } from '../../../settlement/stored.ts';
import { ConflictError } from '../../../shared/errors.ts';
import { bytesToHex } from '../../../shared/hex.ts';
import { ID_PREFIXES, idPattern } from '../../../shared/ids.ts';
import { appendAudit } from '../../../store/audit-log.ts';
import type { Db } from '../../../store/store.ts';
import { defineRoute, type Route, type RouteResult } from '../../http/routes.ts';
import { reload } from '../settlement/records.ts';
import { callerOf } from './auth.ts';
import type { RestDeps } from './deps.ts';
import { IDEMPOTENCY_HEADER, idempotent } from './idempotency.ts';
import { pageArgs, pageQuery, pageSchema, toPage } from './pagination.ts';
import { NotReadyError, notFound, problems } from './problems.ts';

export const SettlementId = z
  .string()
  .regex(idPattern(ID_PREFIXES.settlement), 'expected a settlement id (stl_ and 26 characters)');

/** Statuses in which the transaction is public: it was handed to the node or the operator. */
export const PUBLISHED = new Set(['broadcast', 'confirmed', 'exported']);

const Output = z.object({ txid: z.string(), vout: z.number().int(), valueSats: z.string() });
const Payout = z.object({
  scriptPubKey: z.string(),
  address: z
    .string()
    .nullable()
    .meta({ description: 'as the network shows it; null for a script with no address form' }),
  valueSats: z.string(),
});

const SignerReport = z.object({
  signer: z.string(),
  outcome: z.enum(['signed', 'did-not-sign', 'bad-share', 'not-asked']),
  detail: z.string().nullable(),
});

/** One signing session of the settlement (one per input of each version signed). */
const SigningView = z.object({
  sessionId: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  reports: z.array(SignerReport).meta({
    description:
      'what each signer answered: `signed` means it verified the settlement from its own records (it signs nothing else)',
  }),
  updatedAt: z.string(),
});

export const SettlementView = z
  .object({
    id: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    batchIds: z.array(z.string()),
    batchNumber: z.number().int().nullable(),
    inputs: z.array(Output),
    payouts: z.array(Payout),
    change: Payout.nullable().meta({ description: 'output 0: back to the custody' }),
    commitment: z.string().nullable(),
    feeSats: z.string().nullable(),
    feeRate: z.string().nullable(),
    txid: z.string().nullable(),
    rawTx: z.string().nullable(),
    confirmations: z.number().int(),
    blockHash: z.string().nullable(),
    blockHeight: z.number().int().nullable(),
    replacedTxids: z.array(z.string()),
    signing: z.array(SigningView),
    broadcastAt: z.string().nullable().meta({ description: 'first broadcast or export' }),
    confirmedAt: z.string().nullable(),
    resolvedAt: z.string().nullable().meta({
      description: 'a failed settlement an operator resolved (its batches proposed again)',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Settlement' });

type SessionRow = {
  id: string;
  status: string;
  reason: string | null;
  reports: string | null;
  updatedAt: Date;
};

type SettlementRow = NonNullable<Awaited<ReturnType<Db['settlement']['findUnique']>>> & {
  batches: { id: string }[];
  sessions: SessionRow[];
};

/**
 * The address form of an output script (0x-hex or bytes), or null when it has none. The
 * standard templates are encoded directly: bitcoinjs's fromOutputScript tries each payment type
 * in turn and throws for the misses, about 60 µs a script, which a page of settlements with a
 * hundred payouts each paid for thousands of times.
 */
export function addressOf(script: Uint8Array | string, network: SettlementNetwork): string | null {
  try {
    const s = typeof script === 'string' ? Buffer.from(script.replace(/^0x/, ''), 'hex') : script;
    const n = network.bitcoinjs;
    // BIP 141 v0 (P2WPKH, P2WSH) and BIP 341 v1 (P2TR) witness programs; bech32m for v1.
    if ((s.length === 22 && s[1] === 0x14) || (s.length === 34 && s[1] === 0x20)) {
      if (s[0] === 0x00) return address.toBech32(s.subarray(2), 0, n.bech32);
      if (s[0] === 0x51 && s.length === 34) return address.toBech32(s.subarray(2), 1, n.bech32);
    }
    if (
      s.length === 25 &&
      s[0] === 0x76 &&
      s[1] === 0xa9 &&
      s[2] === 0x14 &&
      s[23] === 0x88 &&
      s[24] === 0xac
    ) {
      return address.toBase58Check(s.subarray(3, 23), n.pubKeyHash);
    }
    if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) {
      return address.toBase58Check(s.subarray(2, 22), n.scriptHash);
    }
    if (s[0] === 0x6a) return null; // OP_RETURN: no address
    return address.fromOutputScript(s, n);
  } catch {
    return null;
  }
}

export function settlementView(
  row: SettlementRow,
  network: ReturnType<typeof settlementNetwork>,
): z.infer<typeof SettlementView> {
  const published = PUBLISHED.has(row.status);
  const tx = row.psbt === null ? null : unsignedTransaction(parsePsbt(row.psbt, network));
  const content = tx === null ? null : approvalMessage(tx);
  const changeOut = tx?.outs[0];
  return {
    id: row.id,
    status: row.status,
    reason: row.reason,
    batchIds: row.batches.map((b) => b.id),
    batchNumber: row.batchNumber,
    inputs: spentOutputs(row.inputs),
    payouts: (content?.payouts ?? []).map((p) => ({
      scriptPubKey: p.scriptPubKey,
      address: addressOf(p.scriptPubKey, network),
      valueSats: p.valueSats.toString(),
    })),
    change:
      changeOut === undefined
        ? null
        : {
            scriptPubKey: bytesToHex(changeOut.script),
            address: addressOf(changeOut.script, network),
            valueSats: changeOut.value.toString(),
          },
    commitment: content?.commitment ?? null,
    feeSats: row.feeSats?.toString() ?? null,
    feeRate: row.feeRate,
    txid: published ? row.txid : null,
    rawTx: published ? row.rawTx : null,
    confirmations: row.confirmations,
    blockHash: row.blockHash,
    blockHeight: row.blockHeight,
    replacedTxids:
      row.replacedTxids === null
        ? []
        : (JSON.parse(row.replacedTxids) as { txid: string }[]).map((v) => v.txid),
    signing: row.sessions.map((r) => ({
      sessionId: r.id,
      status: r.status,
      reason: r.reason,
      reports: r.reports === null ? [] : (JSON.parse(r.reports) as SignerReportView[]),
      updatedAt: r.updatedAt.toISOString(),
    })),
    broadcastAt: row.broadcastAt?.toISOString() ?? null,
    confirmedAt: row.confirmedAt?.toISOString() ?? null,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function spentOutputs(inputs: string | null): z.infer<typeof Output>[] {
  if (inputs === null) return [];
  const { custodyOutputs } = JSON.parse(inputs) as StoredInputs;
  return [custodyOutputs.current, ...custodyOutputs.topUps].map((o) => ({
    txid: o.txid,
    vout: o.vout,
    valueSats: o.valueSats,
  }));
}

type SignerReportView = z.infer<typeof SignerReport>;

const withBatches = {
  batches: { select: { id: true }, orderBy: { number: 'asc' as const } },
  sessions: {
    select: { id: true, status: true, reason: true, reports: true, updatedAt: true },
    orderBy: { id: 'asc' as const },
  },
};

export async function findSettlement(db: Db, id: string): Promise<SettlementRow> {
  const row = await db.settlement.findUnique({ where: { id }, include: withBatches });
  if (row === null) throw notFound('settlement', id);
  return row;
}

export function settlementRoutes(deps: RestDeps): Route[] {
  const network = settlementNetwork(deps.config.network);
  const params = z.object({ id: SettlementId });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/settlements',
      operationId: 'listSettlements',
      summary: 'Settlements, newest first',
      tags: ['settlements'],
      auth: true,
      request: { query: pageQuery(ID_PREFIXES.settlement) },
      responses: {
        '200': { description: 'One page', schema: pageSchema(SettlementView, 'SettlementPage') },
        ...problems(400, 401, 403, 429),
      },
      handler: async ({ query }) => {
        const rows = await deps.db.settlement.findMany({
          ...pageArgs(query),
          include: withBatches,
        });
        return { status: 200, json: toPage(rows, query, (r) => settlementView(r, network)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/settlements/{id}',
      operationId: 'getSettlement',
      summary: 'One settlement',
      tags: ['settlements'],
      auth: true,
      request: { params },
      responses: {
        '200': { description: 'The settlement', schema: SettlementView },
        ...problems(400, 401, 403, 404, 429),
      },
      handler: async ({ params: p }) => ({
        status: 200,
        json: settlementView(await findSettlement(deps.db, p.id), network),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/settlements/{id}/psbt',
      operationId: 'getSettlementPsbt',
      summary: 'The settlement as a BIP174 PSBT (binary), with the signatures gathered so far',
      tags: ['settlements'],
      auth: true,
      scopes: ['institution', 'treasurer'],
      request: { params },
      responses: {
        '200': { description: 'The PSBT file', contentType: 'application/octet-stream' },
        ...problems(400, 401, 403, 404, 409, 429),
      },
      handler: async ({ params: p }) => {
        const row = await findSettlement(deps.db, p.id);
        if (row.psbt === null) throw new ConflictError(`settlement ${p.id} has no transaction yet`);
        // Fully signed but not yet handed to the node: the transaction is public only once
        // broadcast (as txid and rawTx are).
        if (row.status === 'signed') {
          throw new ConflictError(`settlement ${p.id} is signed and about to be broadcast; retry`);
        }
        return {
          status: 200,
          text: Buffer.from(row.psbt, 'base64'),
          contentType: 'application/octet-stream',
          headers: { 'Content-Disposition': `attachment; filename="${row.id}.psbt"` },
        };
      },
    }),
    uploadSignatures(deps, params),
  ];
}

const SIGNABLE = new Set(['approved', 'signing']);
/** As a signer takes it (src/api/signer/settlement/ref.ts MAX_PSBT_CHARS), within 1 MiB. */
const MAX_PSBT_CHARS = 1_000_000;

/**
 * An institution co-signing a multi-sig settlement with its own wallet or HSM uploads the PSBT
 * with its partial signatures. Merged only when the unsigned transaction is exactly the
 * settlement's (rebuilt from its records) and every added signature is by a custody key and
 * verifies against the sighash computed here; inputs that then hold enough signatures are not
 * asked of the signers again. Only once the settlement is approved: a signature never
 * replaces an approval.
 */
function uploadSignatures(deps: RestDeps, params: z.ZodType): Route {
  return defineRoute({
    method: 'post',
    path: '/v1/settlements/{id}/signatures',
    operationId: 'uploadSettlementSignatures',
    summary: 'Multi-sig: upload the PSBT with partial signatures from a co-signer',
    tags: ['settlements'],
    auth: true,
    scopes: ['institution'],
    request: {
      params,
      body: z.object({ psbt: z.string().min(1).max(MAX_PSBT_CHARS) }).strict(),
    },
    responses: {
      '200': {
        description: 'Merged',
        schema: z
          .object({
            added: z.array(z.object({ input: z.number().int(), publicKey: z.string() })),
            signatureCounts: z.array(z.number().int()),
          })
          .meta({ id: 'SignaturesMerged' }),
      },
      ...problems(400, 401, 403, 404, 409, 413, 415, 429, 503),
    },
    handler: async ({ params: p, body, req, res }) => {
      const { id } = p as { id: string };
      return idempotent(
        {
          db: deps.db,
          caller: callerOf(res),
          route: `POST /v1/settlements/${id}/signatures`,
          header: req.headers[IDEMPOTENCY_HEADER],
          body,
        },
        () => merge(deps, id, body.psbt, callerOf(res).keyId),
      );
    },
  });
}

async function merge(
  deps: RestDeps,
  id: string,
  psbt: string,
  actor: string,
): Promise<RouteResult> {
  const settlement = deps.settlement();
  if (settlement === undefined) throw new NotReadyError('the custody is starting');
  const row = await findSettlement(deps.db, id);
  if (settlement.custody.key.groupKey !== undefined) {
    throw new ConflictError('a FROST custody takes no partial signatures: its key is one key');
  }
  if (!SIGNABLE.has(row.status)) {
    throw new ConflictError(
      `settlement ${id} is ${row.status}; signatures are taken once it is approved`,
    );
  }
  // Signatures complete a settlement only its approvers let through: the approvals are
  // re-checked here (their signatures verified), not read off the status column.
  if (!deps.approvals.autoApprove && !(await deps.approvals.tally(id)).satisfied) {
    throw new ConflictError(`settlement ${id} does not hold the approvals its policy requires`);
  }
  const built = reload(row, settlement.type, settlement.policy);
  const result = importSignatures(
    built,
    parsePsbt(psbt, settlement.policy.network),
    settlement.type,
  );
  if (result.added.length > 0) {
    await deps.db.settlement.update({ where: { id }, data: { psbt: built.psbt.toBase64() } });
    await appendAudit(deps.db, {
      actor,
      action: 'settlement.signatures-uploaded',
      subject: id,
      data: { added: result.added },
    });
    deps.kick();
  }
  return { status: 200, json: result };
}
