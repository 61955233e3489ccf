import type { AuditEvent } from '@bulkhead/audit';

/** The searchable columns of a log row, each derived from the event it stores. */
export interface EventColumns {
  tenant_id: string;
  id: string;
  occurred_at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  trace_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

/** The column values a row storing `event` must hold (timestamps as ISO strings, UTC). */
export function eventColumns(event: AuditEvent): EventColumns {
  return {
    tenant_id: event.tenantId,
    id: event.id,
    occurred_at: new Date(event.occurredAt).toISOString(),
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    action: event.action,
    resource_type: event.resource.type,
    resource_id: event.resource.id ?? null,
    outcome: event.outcome,
    request_id: event.requestId ?? null,
    trace_id: event.traceId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent ?? null,
  };
}

/** The names of the columns of {@link EventColumns}, in a fixed order. */
export const EVENT_COLUMN_NAMES = [
  'tenant_id',
  'id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'action',
  'resource_type',
  'resource_id',
  'outcome',
  'request_id',
  'trace_id',
  'ip',
  'user_agent',
] as const satisfies readonly (keyof EventColumns)[];
