import { performance } from 'node:perf_hooks';
import type { IdentifiedCallContext } from './call-context';
import type { GrpcCallMetrics } from './call-metrics';
import { GrpcStatusError, grpcStatusName } from './grpc-error.codec';
import type { MiddlewareLink } from './middleware';

const SERVER_FAULTS = new Set(['INTERNAL', 'UNKNOWN', 'DATA_LOSS']);

/**
 * One log line per call (method, status, duration; the logger carries the request id and, once
 * the token is verified, the caller), and the call in `metrics` when given. Metadata is never
 * logged: it carries tokens.
 */
export function createLoggingMiddleware(metrics?: GrpcCallMetrics): MiddlewareLink<IdentifiedCallContext, IdentifiedCallContext> {
  return async function* loggingMiddleware(call, ctx) {
    const startedAt = performance.now();
    let status = 'OK';
    try {
      return yield* call.next(call.request, ctx);
    } catch (err) {
      status = err instanceof GrpcStatusError ? grpcStatusName(err.code) : 'UNKNOWN';
      throw err;
    } finally {
      // A stream the client walked away from ends without an error.
      if (status === 'OK' && ctx.signal.aborted) status = 'CANCELLED';
      const durationMs = performance.now() - startedAt;
      metrics?.observe(call.method, status, durationMs / 1000);
      const line = { method: call.method.path, status, durationMs: Math.round(durationMs * 10) / 10 };
      if (SERVER_FAULTS.has(status)) ctx.logger.error(line, 'grpc call');
      else ctx.logger.info(line, 'grpc call');
    }
  };
}
