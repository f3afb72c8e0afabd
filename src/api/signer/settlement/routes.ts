/**
 * The signer's settlement records over HTTP (signed requests, like every /v1 route): the newest
 * settlement it knows, and a settlement the custody signed without it, which it records only
 * after rebuilding it and verifying the custody's signatures itself (learn.ts).
 */
import { z } from 'zod';
import { expectObject } from '../../../custody/wire-check.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { defineRoute, type Route } from '../../http/routes.ts';
import { learnSettlement } from './learn.ts';
import { parseSettlementRef } from './ref.ts';
import type { SettlementVerifierDeps } from './verifier.ts';

const responses = { '200': { description: 'signed JSON answer (x-custody-response-signature)' } };
const KEY_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

export function settlementRoutes(deps: SettlementVerifierDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/custody/settlements/latest',
      operationId: 'latestSettlement',
      summary: 'The newest settlement this signer signed or recorded (its first version)',
      auth: true,
      responses,
      handler: async () => {
        const rows = await deps.db.$queryRaw<{ txid: string; batchNumber: number }[]>`
          SELECT "txid", "batchNumber" FROM "SignerSettlement" WHERE "txid" = "originalTxid"
          ORDER BY "createdAt" DESC, "batchNumber" DESC LIMIT 1`;
        const row = rows[0];
        return {
          status: 200,
          json: {
            originalTxid: row?.txid ?? null,
            batchNumber: row === undefined ? null : Number(row.batchNumber),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/custody/settlements',
      operationId: 'learnSettlement',
      summary:
        'Record a settlement the custody signed without this signer, after rebuilding it and verifying its signatures',
      auth: true,
      request: { body: z.record(z.string(), z.unknown()) },
      responses,
      handler: async ({ body }) => {
        const b = expectObject(body, 'body');
        if (typeof b.keyId !== 'string' || !KEY_ID.test(b.keyId)) {
          throw new InvalidInputError('keyId: expected a key id', { field: 'keyId' });
        }
        const settlement = parseSettlementRef(b.settlement, 'settlement');
        if (settlement === undefined) {
          throw new InvalidInputError('settlement: required', { field: 'settlement' });
        }
        if (typeof b.rawTx !== 'string') {
          throw new InvalidInputError('rawTx: required, hex', { field: 'rawTx' });
        }
        return {
          status: 200,
          json: await learnSettlement(deps, { keyId: b.keyId, settlement, rawTx: b.rawTx }),
        };
      },
    }),
  ];
}
