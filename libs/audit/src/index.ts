export { AUDIT_ACTION_NAMES, AUDIT_ACTIONS, isAuditAction } from './audit-actions';
export type { AuditAction } from './audit-actions';
export { AUDIT_EVENT_VERSION, auditEnvelopeSchema, auditEventSchema } from './audit-event';
export type { AuditActor, AuditEnvelope, AuditEvent, AuditOutcome } from './audit-event';
export { canonicalJson, chainHash, GENESIS_HASH } from './hash-chain';
export { REDACTED, redactSecrets } from './redaction';
export { recordAuditEvent, recordIdentityAuditEvent } from './record-audit-event';
export type { AuditEventInput } from './record-audit-event';
