import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type { Registry } from 'prom-client';

/** A Prometheus registry with the Node.js process metrics and `service` as a default label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Duration of handled requests by transport, route/method and status. Labels stay bounded:
 * routes are templates (`/v1/projects/:id`), never raw paths; tenants appear only as their plan.
 */
export function createRequestDurationHistogram(registry: Registry): Histogram<'transport' | 'route' | 'status' | 'plan'> {
  return new Histogram({
    name: 'bulkhead_request_duration_seconds',
    help: 'Duration of handled requests, by transport, route, status and tenant plan.',
    labelNames: ['transport', 'route', 'status', 'plan'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}
