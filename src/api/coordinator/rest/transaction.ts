/**
 * `GET /v1/settlements/{id}/transaction`: a published settlement's transaction as raw hex and
 * decoded from those bytes (not from the records): what a block explorer would show.
 */
import { Transaction } from 'bitcoinjs-lib';
import { z } from 'zod';
import { type SettlementNetwork, settlementNetwork } from '../../../settlement/networks.ts';
import { ConflictError } from '../../../shared/errors.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import type { RestDeps } from './deps.ts';
import { problems } from './problems.ts';
import { addressOf, findSettlement, PUBLISHED, SettlementId } from './settlements.ts';

const DecodedTransaction = z
  .object({
    txid: z.string(),
    hex: z.string(),
    version: z.number().int(),
    locktime: z.number().int(),
    sizeBytes: z.number().int(),
    vsizeVbytes: z.number().int(),
    weightWu: z.number().int(),
    inputs: z.array(
      z.object({
        txid: z.string(),
        vout: z.number().int(),
        sequence: z.number().int(),
        witnessItems: z.number().int(),
      }),
    ),
    outputs: z.array(
      z.object({
        n: z.number().int(),
        valueSats: z.string(),
        scriptPubKey: z.string(),
        type: z.enum(['p2tr', 'p2wsh', 'p2wpkh', 'p2sh', 'p2pkh', 'nulldata', 'nonstandard']),
        address: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'DecodedTransaction' });

export function transactionRoute(deps: RestDeps): Route {
  const network = settlementNetwork(deps.config.network);
  return defineRoute({
    method: 'get',
    path: '/v1/settlements/{id}/transaction',
    operationId: 'getSettlementTransaction',
    summary: 'The broadcast (or exported) transaction: raw hex, and decoded from it',
    tags: ['settlements'],
    auth: true,
    request: { params: z.object({ id: SettlementId }) },
    responses: {
      '200': { description: 'The transaction', schema: DecodedTransaction },
      ...problems(400, 401, 403, 404, 409, 429),
    },
    handler: async ({ params }) => {
      const row = await findSettlement(deps.db, params.id);
      if (!PUBLISHED.has(row.status) || row.rawTx === null) {
        throw new ConflictError(
          `settlement ${params.id} is ${row.status}: its transaction is published once broadcast or exported`,
        );
      }
      return { status: 200, json: decode(row.rawTx, network) };
    },
  });
}

export function decode(
  hex: string,
  network: SettlementNetwork,
): z.infer<typeof DecodedTransaction> {
  const tx = Transaction.fromHex(hex);
  return {
    txid: tx.getId(),
    hex,
    version: tx.version,
    locktime: tx.locktime,
    sizeBytes: tx.byteLength(),
    vsizeVbytes: tx.virtualSize(),
    weightWu: tx.weight(),
    inputs: tx.ins.map((i) => ({
      txid: Buffer.from(i.hash).reverse().toString('hex'),
      vout: i.index,
      sequence: i.sequence,
      witnessItems: i.witness.length,
    })),
    outputs: tx.outs.map((o, n) => ({
      n,
      valueSats: o.value.toString(),
      scriptPubKey: Buffer.from(o.script).toString('hex'),
      type: scriptType(o.script),
      address: addressOf(o.script, network),
    })),
  };
}

/** The standard output templates, by their exact bytes (BIP 141, 341; OP_RETURN). */
function scriptType(s: Uint8Array) {
  if (s[0] === 0x6a) return 'nulldata' as const;
  if (s.length === 34 && s[0] === 0x51 && s[1] === 0x20) return 'p2tr' as const;
  if (s.length === 34 && s[0] === 0x00 && s[1] === 0x20) return 'p2wsh' as const;
  if (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) return 'p2wpkh' as const;
  if (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'p2sh' as const;
  if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[24] === 0xac) return 'p2pkh' as const;
  return 'nonstandard' as const;
}
