import { createHttpRequestDurationHistogram, type Registry } from '@bulkhead/observability';
import type { FastifyRequest } from 'fastify';
import type { HttpApp } from './http-app';

/** The `plan` label of a request whose caller is not known (public routes, refused credentials). */
export const NO_PLAN = 'none';

const plans = new WeakMap<FastifyRequest, string>();

/** The plan of the request's tenant, as its rate limit found it: the request's `plan` label. */
export function setRequestPlan(request: FastifyRequest, plan: string): void {
  plans.set(request, plan);
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Measures every REST request in `bulkhead_http_request_duration_seconds` by route template
 * (`unmatched` for a path no route serves, so scanners cannot grow the series), method, status
 * class and the tenant's plan (ADR 0015).
 */
export function registerRequestMetrics(app: HttpApp, registry: Registry): void {
  const durations = createHttpRequestDurationHistogram(registry);
  app.addHook('onResponse', async (request, reply) => {
    durations.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status_class: STATUS_CLASSES[Math.floor(reply.statusCode / 100) - 1] ?? '5xx',
        plan: plans.get(request) ?? NO_PLAN,
      },
      reply.elapsedTime / 1000,
    );
  });
}
