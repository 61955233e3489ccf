import { Metadata } from '@grpc/grpc-js';
import { auditOriginOf, forwardClientMetadata, type AuditOrigin } from '@bulkhead/audit';
import { AppError, notFound } from '@bulkhead/errors';
import type { CallContext, ClientCallOptions } from '@bulkhead/grpc-kit';
import { AUTHORIZATION_METADATA_KEY, type AuthContext, type Principal } from '@bulkhead/tokens';

/** Who is calling, and the options that make an upstream call on their behalf. */
export interface Caller {
  readonly principal: Principal;
  /** Forwards the caller's `authorization`, request id, deadline and cancellation. */
  readonly upstream: ClientCallOptions;
  /** The call's request id, trace id, client address and user agent, for its audit events. */
  readonly origin: AuditOrigin;
}

export type OrgCallContext = CallContext & AuthContext;

/** The verified caller of an RPC; the auth middleware guarantees a principal on every method. */
export function callerOf(ctx: OrgCallContext): Caller {
  if (ctx.principal === undefined) throw new AppError({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING', message: 'An access token is required.' });
  const metadata = forwardClientMetadata(ctx, new Metadata(), 'org');
  const [authorization] = ctx.metadata.get(AUTHORIZATION_METADATA_KEY);
  if (authorization !== undefined) metadata.set(AUTHORIZATION_METADATA_KEY, authorization);
  return { principal: ctx.principal, upstream: { parent: ctx, metadata }, origin: auditOriginOf(ctx) };
}

export function organizationNotFound(): AppError {
  return notFound('Organization');
}

/**
 * Every request names the organization it acts on, which must be the token's: any other id is
 * NOT_FOUND, the same answer as an id that does not exist (DESIGN "The request path").
 */
export function requireOwnOrganization(caller: Caller, organizationId: string): void {
  if (organizationId.toLowerCase() !== caller.principal.tenantId.toLowerCase()) throw organizationNotFound();
}
