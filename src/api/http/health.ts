/**
 * /healthz (the process answers), /readyz (every readiness check passes), /metrics and
 * /openapi.json: the operational endpoints every app serves without authentication.
 */
import { z } from 'zod';
import type { HttpMetrics } from './metrics.ts';
import { defineRoute, type Route } from './routes.ts';

export interface ReadinessCheck {
  name: string;
  /** Resolves `ok: false` with a reason, or rejects: both mean not ready. */
  check(): Promise<{ ok: boolean; detail?: string }>;
}

const CheckResult = z.object({ ok: z.boolean(), detail: z.string().optional() });
const Readiness = z
  .object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), CheckResult) })
  .meta({ id: 'Readiness' });

const CHECK_TIMEOUT_MS = 5000;

/**
 * Responses that are /readyz's own "not ready" answer. A 503 there is what a probe asks for
 * while the signers start, not a failure, so the access log keeps it below warn.
 */
const probeAnswers = new WeakSet<object>();

export function isProbeAnswer(res: object): boolean {
  return probeAnswers.has(res);
}

async function runCheck(c: ReadinessCheck): Promise<z.infer<typeof CheckResult>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([c.check(), timeout]);
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(opts: {
  checks: readonly ReadinessCheck[];
  metrics: HttpMetrics;
  openapi: () => unknown;
}): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'The process is alive',
      tags: ['operations'],
      responses: {
        '200': { description: 'Alive', schema: z.object({ status: z.literal('ok') }) },
      },
      handler: async () => ({ status: 200, json: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'readiness',
      summary: 'Ready to serve: every readiness check passes',
      tags: ['operations'],
      responses: {
        '200': { description: 'Ready', schema: Readiness },
        '503': { description: 'Not ready; the failing checks say why', schema: Readiness },
      },
      handler: async ({ res }) => {
        const results = await Promise.all(opts.checks.map(runCheck));
        const checks = Object.fromEntries(opts.checks.map((c, i) => [c.name, results[i]!]));
        const ready = results.every((r) => r.ok);
        probeAnswers.add(res);
        return {
          status: ready ? 200 : 503,
          json: { status: ready ? 'ready' : 'not-ready', checks },
          headers: { 'Cache-Control': 'no-store' },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      tags: ['operations'],
      responses: {
        '200': {
          description: 'Prometheus text exposition format',
          schema: z.string(),
          contentType: 'text/plain; version=0.0.4',
        },
      },
      handler: async () => ({
        status: 200,
        text: await opts.metrics.registry.metrics(),
        contentType: opts.metrics.registry.contentType,
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This API as an OpenAPI 3.1 document',
      tags: ['operations'],
      responses: {
        '200': { description: 'OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) },
      },
      handler: async () => ({ status: 200, json: opts.openapi() }),
    }),
  ];
}
