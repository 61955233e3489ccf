import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY } from '@bulkhead/contracts';
import type { CallContext } from '@bulkhead/grpc-kit';
import type { Metadata } from '@grpc/grpc-js';
import { currentTraceId } from '@bulkhead/observability';
import type { Principal } from '@bulkhead/tokens';
import type { AuditActor } from './audit-event';
import type { AuditEventInput } from './record-audit-event';

/**
 * Set by a service on the calls it makes to another for its own client (with that client's
 * token, address and user agent): the called service then knows the refusals it answers go to
 * a service, which answers (and records) what its client sees. The gateway never sets it and
 * builds every upstream call's metadata afresh, so no client can.
 */
export const FORWARDED_BY_METADATA_KEY = 'x-forwarded-by-service';

/** Adds the client's address and user agent of `ctx` to `metadata` of a call made on its behalf by `service`. */
export function forwardClientMetadata(ctx: Pick<CallContext, 'metadata'>, metadata: Metadata, service: string): Metadata {
  const { ip, userAgent } = clientOf(ctx);
  if (ip !== undefined) metadata.set(CLIENT_IP_METADATA_KEY, ip);
  if (userAgent !== undefined) metadata.set(CLIENT_USER_AGENT_METADATA_KEY, userAgent);
  metadata.set(FORWARDED_BY_METADATA_KEY, service);
  return metadata;
}

/** Where a call came from, as every audit event of that call records it. */
export interface AuditOrigin {
  readonly requestId?: string;
  readonly traceId?: string;
  /** The end client's address and user agent, forwarded by the gateway in gRPC metadata. */
  readonly ip?: string;
  readonly userAgent?: string;
}

/** What the gateway forwarded of its client: its address and user agent (empty values are absent). */
export function clientOf(ctx: Pick<CallContext, 'metadata'>): { ip?: string; userAgent?: string } {
  const text = (key: string): string | undefined => {
    const [value] = ctx.metadata.get(key);
    return typeof value === 'string' && value !== '' ? value.slice(0, 512) : undefined;
  };
  return { ip: text(CLIENT_IP_METADATA_KEY), userAgent: text(CLIENT_USER_AGENT_METADATA_KEY) };
}

/** The request id, trace id, client address and user agent of a call, for its audit events. */
export function auditOriginOf(ctx: Pick<CallContext, 'metadata' | 'requestId'>): AuditOrigin {
  const { ip, userAgent } = clientOf(ctx);
  const traceId = currentTraceId();
  return {
    requestId: ctx.requestId,
    ...(traceId === undefined ? {} : { traceId }),
    ...(ip === undefined ? {} : { ip }),
    ...(userAgent === undefined ? {} : { userAgent }),
  };
}

/** The audit actor of a verified caller: a user, an API key or a service, by its id. */
export function auditActorOf(principal: Pick<Principal, 'type' | 'subject'>): AuditActor {
  return { type: principal.type, id: principal.subject };
}

/** Who did it and from where: the part of an audit event that is the caller's. */
export function auditedBy(who: { principal: Pick<Principal, 'type' | 'subject'>; origin: AuditOrigin }): Pick<
  AuditEventInput,
  'actor' | 'requestId' | 'traceId' | 'ip' | 'userAgent'
> {
  return { actor: auditActorOf(who.principal), ...who.origin };
}
