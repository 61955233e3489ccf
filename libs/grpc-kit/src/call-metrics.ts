import { createGrpcCallDurationHistogram, GRPC_CALL_DURATION_METRIC, type Registry } from '@bulkhead/observability';
import type { Histogram } from 'prom-client';
import type { MethodInfo } from './call-context';

/** The RED figures of a gRPC server: one histogram of call durations by service, method and code. */
export interface GrpcCallMetrics {
  /** Records one finished call of `method` that ended with `code` (a status name, `OK`, `NOT_FOUND`…). */
  observe(method: Pick<MethodInfo, 'service' | 'name'>, code: string, seconds: number): void;
}

type Durations = Histogram<'grpc_service' | 'grpc_method' | 'grpc_code'>;

/**
 * {@link GrpcCallMetrics} in `registry`: servers of one process share its histogram. Each
 * method × code's series is looked up once and kept, so a call costs one `observe`.
 */
export function createGrpcCallMetrics(registry: Registry): GrpcCallMetrics {
  const histogram = (registry.getSingleMetric(GRPC_CALL_DURATION_METRIC) as Durations | undefined) ?? createGrpcCallDurationHistogram(registry);
  const series = new Map<string, Histogram.Internal<'grpc_service' | 'grpc_method' | 'grpc_code'>>();
  return {
    observe(method, code, seconds) {
      const key = `${method.service}/${method.name} ${code}`;
      let child = series.get(key);
      if (child === undefined) {
        child = histogram.labels({ grpc_service: method.service, grpc_method: method.name, grpc_code: code });
        series.set(key, child);
      }
      child.observe(seconds);
    },
  };
}
