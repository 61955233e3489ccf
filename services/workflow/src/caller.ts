import { Metadata } from '@grpc/grpc-js';
import { auditOriginOf, forwardClientMetadata, type AuditOrigin } from '@bulkhead/audit';
import { AppError } from '@bulkhead/errors';
import type { CallContext, ClientCallOptions } from '@bulkhead/grpc-kit';
import { AUTHORIZATION_METADATA_KEY, type AuthContext, type Principal } from '@bulkhead/tokens';

/** Who is calling, and how to call project, org and agent on their behalf. */
export interface Caller {
  readonly principal: Principal;
  /** Forwards the caller's own token, request id, deadline and cancellation (zero trust downstream). */
  readonly upstream: ClientCallOptions;
  /** The call's request id, trace id, client address and user agent, for its audit events. */
  readonly origin: AuditOrigin;
}

export type WorkflowCallContext = CallContext & AuthContext;

/** The verified caller, with call options that forward their token. */
export function callerOf(ctx: WorkflowCallContext): Caller {
  const [authorization] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
  if (ctx.principal === undefined || typeof authorization !== 'string') {
    throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'An access token is required.' });
  }
  const metadata = forwardClientMetadata(ctx, new Metadata(), 'workflow');
  metadata.set(AUTHORIZATION_METADATA_KEY, authorization);
  return { principal: ctx.principal, upstream: { metadata, parent: ctx }, origin: auditOriginOf(ctx) };
}
