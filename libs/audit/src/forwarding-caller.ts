import { Metadata } from '@grpc/grpc-js';
import { AppError } from '@bulkhead/errors';
import type { CallContext, ClientCallOptions } from '@bulkhead/grpc-kit';
import { AUTHORIZATION_METADATA_KEY, type AuthContext, type Principal } from '@bulkhead/tokens';
import { auditOriginOf, forwardClientMetadata, type AuditOrigin } from './call-origin';

/** A verified caller of a service, and how to call other services on their behalf. */
export interface ForwardingCaller {
  readonly principal: Principal;
  /** Forwards the caller's own token, client address, request id, deadline and cancellation (zero trust downstream). */
  readonly upstream: ClientCallOptions;
  /** The call's request id, trace id, client address and user agent, for its audit events. */
  readonly origin: AuditOrigin;
}

/** The caller of a call `service` is serving (after the token middleware), ready to forward. */
export function forwardingCallerOf(ctx: CallContext & AuthContext, service: string): ForwardingCaller {
  const [authorization] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
  if (ctx.principal === undefined || typeof authorization !== 'string') {
    throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'An access token is required.' });
  }
  const metadata = forwardClientMetadata(ctx, new Metadata(), service);
  metadata.set(AUTHORIZATION_METADATA_KEY, authorization);
  return { principal: ctx.principal, upstream: { metadata, parent: ctx }, origin: auditOriginOf(ctx) };
}
