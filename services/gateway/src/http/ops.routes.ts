import { z } from 'zod';
import type { HttpApp } from './http-app';

const readiness = z.object({
  status: z.enum(['ready', 'degraded', 'not ready']),
  failing: z.array(z.string()).optional().describe('backends that did not answer their health check'),
  degraded: z
    .record(z.string(), z.array(z.string()))
    .optional()
    .describe('backends (and the gateway itself) that serve while some of their loops are down, with those loops'),
});

/**
 * `/healthz` and `/readyz` on the public port, as the design's REST table lists them. `/metrics`
 * is served on the ops port only (`METRICS_PORT`, where the chart scrapes): the figures are
 * internal (ADR 0015). Failing backends make the gateway not ready; degraded ones are named, and
 * it stays ready.
 */
export function registerOpsRoutes(
  app: HttpApp,
  deps: { checkReadiness: () => Promise<string[]>; checkDegraded: () => Promise<Record<string, string[]>> },
): void {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the gateway serves requests', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: every backend answers its gRPC health check; backends with loops down (the audit pipeline while Kafka is away) are named as degraded',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const [failing, degraded] = await Promise.all([deps.checkReadiness(), deps.checkDegraded()]);
      const named = Object.keys(degraded).length === 0 ? {} : { degraded };
      if (failing.length > 0) return reply.status(503).send({ status: 'not ready', failing, ...named });
      return reply.status(200).send(Object.keys(degraded).length === 0 ? { status: 'ready' } : { status: 'degraded', ...named });
    },
  );
}
