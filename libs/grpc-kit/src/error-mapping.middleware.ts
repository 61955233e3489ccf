import { isAppError, toAppError } from '@bulkhead/errors';
import type { IdentifiedCallContext } from './call-context';
import { GrpcStatusError, toGrpcStatusError } from './grpc-error.codec';
import type { ServerMiddlewareCall } from './middleware';

/**
 * Maps whatever the rest of the chain throws to a gRPC status, once: an {@link AppError} keeps
 * its kind, code, safe message and field violations; anything else becomes INTERNAL
 * "Internal error" and is logged here with its cause, the only place it is seen.
 */
export async function* errorMappingMiddleware<Req, Res>(
  call: ServerMiddlewareCall<Req, Res, IdentifiedCallContext>,
  ctx: IdentifiedCallContext,
): AsyncGenerator<Res, Res | void, undefined> {
  try {
    return yield* call.next(call.request, ctx);
  } catch (err) {
    if (err instanceof GrpcStatusError) throw err;
    const appError = toAppError(err);
    if (appError.kind === 'INTERNAL') {
      ctx.logger.error({ err: isAppError(err) ? (appError.cause ?? err) : err, method: call.method.path }, 'grpc handler failed');
    }
    throw toGrpcStatusError(appError);
  }
}
