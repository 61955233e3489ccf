import { CLIENT_IP_METADATA_KEY, CLIENT_USER_AGENT_METADATA_KEY } from '@bulkhead/contracts';
import type { CallContext } from '@bulkhead/grpc-kit';
import { currentTraceId } from '@bulkhead/observability';
import type { Principal } from '@bulkhead/tokens';
import type { AuditActor } from './audit-event';

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
