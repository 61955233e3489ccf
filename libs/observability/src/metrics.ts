import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type { Registry } from 'prom-client';

/** A Prometheus registry with the Node.js process metrics and `service` as a default label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Bucket bounds (seconds) of every request histogram: the latency SLO's threshold (250 ms) is one of them. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Name of {@link createHttpRequestDurationHistogram}'s histogram. */
export const HTTP_REQUEST_DURATION_METRIC = 'bulkhead_http_request_duration_seconds';

/** Name of {@link createGrpcCallDurationHistogram}'s histogram. */
export const GRPC_CALL_DURATION_METRIC = 'bulkhead_grpc_server_call_duration_seconds';

/**
 * Duration of REST requests by route template (`/v1/projects/:id`, never a raw path), method,
 * status class (`2xx` … `5xx`) and the tenant's plan (`none` before a caller is known). Tenants
 * appear only as their plan, so the series stay bounded however many tenants there are (ADR 0015).
 */
export function createHttpRequestDurationHistogram(registry: Registry): Histogram<'route' | 'method' | 'status_class' | 'plan'> {
  return new Histogram({
    name: HTTP_REQUEST_DURATION_METRIC,
    help: 'Duration of REST requests, by route template, method, status class and tenant plan.',
    labelNames: ['route', 'method', 'status_class', 'plan'] as const,
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [registry],
  });
}

/** Duration of gRPC calls a server handled, by fully-qualified service, method and status code name. */
export function createGrpcCallDurationHistogram(registry: Registry): Histogram<'grpc_service' | 'grpc_method' | 'grpc_code'> {
  return new Histogram({
    name: GRPC_CALL_DURATION_METRIC,
    help: 'Duration of handled gRPC calls, by service, method and status code.',
    labelNames: ['grpc_service', 'grpc_method', 'grpc_code'] as const,
    buckets: [...REQUEST_DURATION_BUCKETS],
    registers: [registry],
  });
}
