import { AUDIT_EVENT_VERSION, auditEventSchema, type AuditEvent } from '@bulkhead/audit';

/** A message's event, or why it cannot be logged. */
export type ParsedAuditMessage = { ok: true; event: AuditEvent } | { ok: false; reason: string };

/**
 * Reads one message value of the audit topic: JSON `{v: 1, event}` whose event satisfies
 * the audit-event schema; any other version goes to the dead-letter topic. Never throws.
 */
export function parseAuditMessage(value: Buffer | null): ParsedAuditMessage {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty message' };
  let envelope: unknown;
  try {
    envelope = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'unparseable: not JSON' };
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return { ok: false, reason: 'unparseable: not an envelope object' };
  }
  const { v, event } = envelope as { v?: unknown; event?: unknown };
  if (v !== AUDIT_EVENT_VERSION) return { ok: false, reason: `unknown version: ${JSON.stringify(v) ?? 'none'}` };
  const parsed = auditEventSchema.safeParse(event);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
    return { ok: false, reason: `invalid event: ${issues.join('; ')}` };
  }
  return { ok: true, event: parsed.data };
}
