import { randomUUID } from 'node:crypto';
import type { IdentifiedCallContext, IncomingCallContext } from './call-context';
import type { ServerMiddlewareCall } from './middleware';

/** Metadata key carrying the request id, in requests and response headers. */
export const REQUEST_ID_METADATA_KEY = 'x-request-id';

// Ids end up in logs and audit events: accept only short, printable ones.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Takes the caller's `x-request-id` (or makes a UUID when it is missing or malformed), binds it
 * to the call's logger and echoes it in the response headers.
 */
export async function* requestIdMiddleware<Req, Res>(
  call: ServerMiddlewareCall<Req, Res, IdentifiedCallContext>,
  ctx: IncomingCallContext,
): AsyncGenerator<Res, Res | void, undefined> {
  const received = ctx.metadata.get(REQUEST_ID_METADATA_KEY)[0];
  const requestId = typeof received === 'string' && ACCEPTED_REQUEST_ID.test(received) ? received : randomUUID();
  ctx.responseHeader.set(REQUEST_ID_METADATA_KEY, requestId);
  return yield* call.next(call.request, { ...ctx, requestId, logger: ctx.logger.child({ requestId }) });
}
