import { performance } from 'node:perf_hooks';
import type { IdentifiedCallContext } from './call-context';
import { GrpcStatusError, grpcStatusName } from './grpc-error.codec';
import type { ServerMiddlewareCall } from './middleware';

const SERVER_FAULTS = new Set(['INTERNAL', 'UNKNOWN', 'DATA_LOSS']);

/**
 * One log line per call: method, status, duration (the logger carries the request id).
 * Metadata is never logged: it carries tokens.
 */
export async function* loggingMiddleware<Req, Res>(
  call: ServerMiddlewareCall<Req, Res, IdentifiedCallContext>,
  ctx: IdentifiedCallContext,
): AsyncGenerator<Res, Res | void, undefined> {
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
    const line = { method: call.method.path, status, durationMs: Math.round((performance.now() - startedAt) * 10) / 10 };
    if (SERVER_FAULTS.has(status)) ctx.logger.error(line, 'grpc call');
    else ctx.logger.info(line, 'grpc call');
  }
}
