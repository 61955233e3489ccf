import { uuidv7, type TenantTx } from '@bulkhead/database';
import type { PoolClient } from 'pg';
import { AUDIT_EVENT_VERSION, auditEventSchema, type AuditEnvelope, type AuditEvent } from './audit-event';
import { redactSecrets } from './redaction';

/**
 * What a caller says about an audit event. The id, the time and the tenant are not the caller's
 * to choose: the id is a new uuidv7, the time is now, the tenant is the transaction's.
 */
export type AuditEventInput = Omit<AuditEvent, 'id' | 'tenantId' | 'occurredAt'>;

/** The outbox insert: the same statement on the shards and on the identity database. */
const INSERT_OUTBOX = 'INSERT INTO audit_outbox (tenant_id, id, payload) VALUES ($1, $2, $3)';

/**
 * The largest envelope an event may have on the audit topic (the broker refuses a batch over
 * 1 MiB, and the relay produces at most 512 KiB per request). An event over it keeps everything
 * but its `changes`, and says so in `metadata.changesOmitted`.
 */
export const MAX_AUDIT_ENVELOPE_BYTES = 256 * 1024;

/** An event and its envelope, as stored in the outbox and produced to the audit topic. */
export interface AuditMessage {
  event: AuditEvent;
  value: string;
}

/**
 * The complete, redacted event of `input` for `tenantId`, checked against the event schema, and
 * its envelope as the outbox stores it and the relay produces it (keyed by the tenant id), with
 * `changes` omitted if the envelope would exceed MAX_AUDIT_ENVELOPE_BYTES. The gateway, which
 * has no outbox, produces it itself. An invalid event is a programming error (an action outside
 * the catalogue, an empty actor id), so it throws a plain Error naming the fields rather than a
 * client-facing error.
 */
export function auditMessageOf(tenantId: string, input: AuditEventInput): AuditMessage {
  const candidate = {
    ...input,
    id: uuidv7(),
    tenantId,
    occurredAt: new Date().toISOString(),
    ...(input.changes === undefined ? {} : { changes: redactSecrets(input.changes) }),
  };
  const parsed = auditEventSchema.safeParse(candidate);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
    throw new Error(`invalid audit event ${input.action}: ${fields}`);
  }
  const event = parsed.data;
  const value = envelopeOf(event);
  if (Buffer.byteLength(value) <= MAX_AUDIT_ENVELOPE_BYTES) return { event, value };
  const { changes, ...rest } = event;
  const trimmed: AuditEvent = { ...rest, metadata: { ...event.metadata, changesOmitted: { bytes: Buffer.byteLength(JSON.stringify(changes ?? null)), limit: MAX_AUDIT_ENVELOPE_BYTES } } };
  const trimmedValue = envelopeOf(trimmed);
  const bytes = Buffer.byteLength(trimmedValue);
  if (bytes > MAX_AUDIT_ENVELOPE_BYTES) throw new Error(`audit event ${input.action} is ${bytes} bytes without its changes, over the ${MAX_AUDIT_ENVELOPE_BYTES} an event may have`);
  return { event: trimmed, value: trimmedValue };
}

function envelopeOf(event: AuditEvent): string {
  const envelope: AuditEnvelope = { v: AUDIT_EVENT_VERSION, event };
  return JSON.stringify(envelope);
}

/**
 * Records an audit event in the tenant's shard outbox, inside `tx`: the event commits or rolls
 * back with the change it describes (DESIGN "Audit pipeline", transactional outbox). The tenant
 * is `tx.tenantId`, never the input's; `changes` are stored with secrets redacted. The relay of
 * the audit service produces the row to the audit topic later. The row is written with the
 * COMMIT, in its round trip (`tx.atCommit`). Returns the recorded event.
 */
export async function recordAuditEvent(tx: TenantTx, input: AuditEventInput): Promise<AuditEvent> {
  const { event, value } = auditMessageOf(tx.tenantId, input);
  tx.atCommit(INSERT_OUTBOX, [event.tenantId, event.id, value]);
  return event;
}

/**
 * Records an audit event of the identity database (the auth service's events) in its outbox,
 * on `client`, which must be inside a transaction (`withTransaction`): the event commits with
 * the change. `tenantId` is the organization the event belongs to. The outbox's row-level
 * security admits a row only for the transaction's `app.tenant_id`, so this sets it,
 * transaction-locally, to `tenantId` first (no identity table other than the outbox reads it).
 */
export async function recordIdentityAuditEvent(client: PoolClient, input: AuditEventInput & { tenantId: string }): Promise<AuditEvent> {
  const { tenantId, ...rest } = input;
  const { event, value } = auditMessageOf(tenantId, rest);
  await client.query("SELECT set_config('app.tenant_id', $1, true)", [event.tenantId]);
  await client.query(INSERT_OUTBOX, [event.tenantId, event.id, value]);
  return event;
}
