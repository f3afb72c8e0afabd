/**
 * The signer's rollup endpoints, driven by the coordinator (signed requests like every /v1
 * route): its head, and the next batch to verify. A signer that fell behind is brought up batch
 * by batch from its head before it is asked to sign.
 */
import { z } from 'zod';
import { defineRoute, type Route } from '../../http/routes.ts';
import type { SignerRollup } from './index.ts';
import { parseBatchSubmission } from './submission.ts';

/** A batch of up to 50,000 transactions with its access list. */
export const MAX_ROLLUP_BODY_BYTES = 64 * 1024 * 1024;
export const ROLLUP_BATCHES_PATH = '/v1/rollup/batches';

const responses = { '200': { description: 'signed JSON answer (x-custody-response-signature)' } };

export function rollupRoutes(rollup: SignerRollup): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/rollup/head',
      operationId: 'rollupHead',
      summary: "This signer's rollup head: its last verified batch and post-state root",
      auth: true,
      responses,
      handler: async () => {
        const head = await rollup.view.head();
        return { status: 200, json: { chainId: rollup.view.chainId.toString(), ...head } };
      },
    }),
    defineRoute({
      method: 'post',
      path: ROLLUP_BATCHES_PATH,
      operationId: 'rollupBatch',
      summary:
        'Verify the next batch by its own execution (with the access list when it holds) and commit it if the claimed root is its own',
      auth: true,
      request: { body: z.record(z.string(), z.unknown()), bodyLimitBytes: MAX_ROLLUP_BODY_BYTES },
      responses,
      handler: async ({ body }) => ({
        status: 200,
        json: await rollup.accept(parseBatchSubmission(body)),
      }),
    }),
  ];
}
