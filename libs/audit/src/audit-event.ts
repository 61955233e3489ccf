import { z } from 'zod';
import { AUDIT_ACTION_NAMES } from './audit-actions';

/** The version of the wire envelope `{v, event}` on the audit topic. */
export const AUDIT_EVENT_VERSION = 1;

const uuid = z.uuid('must be a UUID');
const text = (max: number) => z.string().min(1).max(max);

/** One audit event (DESIGN "Audit pipeline"), as recorded, relayed and stored. */
export const auditEventSchema = z
  .object({
    id: uuid,
    tenantId: uuid,
    occurredAt: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' }),
    actor: z.object({ type: z.enum(['user', 'apiKey', 'service', 'platform']), id: text(200) }).strict(),
    action: z.enum(AUDIT_ACTION_NAMES, 'must be an action of the audit catalogue'),
    resource: z.object({ type: text(100), id: text(200).optional() }).strict(),
    outcome: z.enum(['success', 'denied', 'failed']),
    requestId: text(200).optional(),
    traceId: text(64).optional(),
    ip: text(100).optional(),
    userAgent: text(512).optional(),
    changes: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }).strict().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditOutcome = AuditEvent['outcome'];
export type AuditActor = AuditEvent['actor'];

/** The message value on the audit topic. */
export const auditEnvelopeSchema = z.object({ v: z.literal(AUDIT_EVENT_VERSION), event: auditEventSchema }).strict();
export type AuditEnvelope = z.infer<typeof auditEnvelopeSchema>;
