import { z } from 'zod';
import type { HttpApp } from './http-app';

const readiness = z.object({
  status: z.enum(['ready', 'not ready']),
  failing: z.array(z.string()).optional().describe('backends that did not answer their health check'),
});

/**
 * `/healthz` and `/readyz` on the public port, as the design's REST table lists them. `/metrics`
 * is served on the ops port only (`METRICS_PORT`, where the chart scrapes): the figures are
 * internal (ADR 0015).
 */
export function registerOpsRoutes(app: HttpApp, deps: { checkReadiness: () => Promise<string[]> }): void {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the gateway serves requests', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: every backend answers its gRPC health check', response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
      const failing = await deps.checkReadiness();
      return failing.length === 0 ? reply.status(200).send({ status: 'ready' }) : reply.status(503).send({ status: 'not ready', failing });
    },
  );
}
