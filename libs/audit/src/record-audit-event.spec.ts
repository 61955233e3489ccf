import type { TenantTx } from '@bulkhead/database';
import { auditEnvelopeSchema, auditMessageOf, MAX_AUDIT_ENVELOPE_BYTES, recordAuditEvent, REDACTED, type AuditEventInput } from './index';

const TENANT = '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8e';
const OTHER_TENANT = '0193a7c2-7d4e-7b1a-9c3f-5e2d1a0b9c8f';

/** A TenantTx that keeps the statements it is given (the outbox insert is one statement). */
function recordingTx(): TenantTx & { statements: { text: string; values: readonly unknown[] }[] } {
  const statements: { text: string; values: readonly unknown[] }[] = [];
  return {
    tenantId: TENANT,
    shardId: 'shard-0',
    statements,
    query: async (text: string, values: readonly unknown[] = []) => {
      statements.push({ text, values });
      return { rows: [], rowCount: 1 };
    },
    atCommit: (text: string, values: readonly unknown[] = []) => {
      statements.push({ text, values });
    },
  };
}

const input: AuditEventInput = {
  actor: { type: 'user', id: 'user-1' },
  action: 'api_key.created',
  resource: { type: 'api_key', id: 'key-1' },
  outcome: 'success',
  changes: { after: { name: 'ci', secret: 'bk_live_x', scopes: [{ apiKey: 'nested' }] } },
};

describe('recordAuditEvent', () => {
  it("inserts a version-1 envelope into the outbox under the transaction's tenant, with a new id, the time and redacted changes", async () => {
    const tx = recordingTx();
    const before = Date.now();
    const event = await recordAuditEvent(tx, input);

    expect(tx.statements).toHaveLength(1);
    const [statement] = tx.statements;
    expect(statement?.text).toMatch(/^INSERT INTO audit_outbox \(tenant_id, id, payload\)/);
    expect(statement?.values.slice(0, 2)).toEqual([TENANT, event.id]);
    const envelope = auditEnvelopeSchema.parse(JSON.parse(String(statement?.values[2])));
    expect(envelope.event).toEqual(event);
    expect(event.tenantId).toBe(TENANT);
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(before - 1);
    expect(event.changes).toEqual({ after: { name: 'ci', secret: REDACTED, scopes: [{ apiKey: REDACTED }] } });
  });

  it('ignores a tenant id smuggled into the input', async () => {
    const tx = recordingTx();
    const event = await recordAuditEvent(tx, { ...input, tenantId: OTHER_TENANT } as AuditEventInput);
    expect(event.tenantId).toBe(TENANT);
    expect(tx.statements[0]?.values[0]).toBe(TENANT);
  });

  it('refuses an event outside the catalogue, naming the field, and writes nothing', async () => {
    const tx = recordingTx();
    await expect(recordAuditEvent(tx, { ...input, action: 'project.exploded' } as unknown as AuditEventInput)).rejects.toThrow(/action/);
    expect(tx.statements).toEqual([]);
  });
});

describe('auditMessageOf', () => {
  it('gives the redacted, validated event of the tenant and its envelope as the relay produces it', () => {
    const { event, value } = auditMessageOf(TENANT, input);
    expect(event).toMatchObject({ tenantId: TENANT, action: 'api_key.created', changes: { after: { secret: REDACTED } } });
    expect(auditEnvelopeSchema.parse(JSON.parse(value))).toEqual({ v: 1, event });
    expect(() => auditMessageOf(TENANT, { ...input, actor: { type: 'user', id: '' } })).toThrow(/actor.id/);
  });

  it('omits the changes of an event whose envelope would exceed the limit, and says how large they were', () => {
    const definition = 'x'.repeat(MAX_AUDIT_ENVELOPE_BYTES);
    const { event, value } = auditMessageOf(TENANT, { ...input, changes: { after: { definition } }, metadata: { workflowId: 'w-1' } });
    expect(event.changes).toBeUndefined();
    expect(event.metadata).toEqual({ workflowId: 'w-1', changesOmitted: { bytes: Buffer.byteLength(JSON.stringify({ after: { definition } })), limit: MAX_AUDIT_ENVELOPE_BYTES } });
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_AUDIT_ENVELOPE_BYTES);
    expect(auditEnvelopeSchema.parse(JSON.parse(value))).toEqual({ v: 1, event });
  });

  it('keeps the changes of an event just within the limit', () => {
    const { event, value } = auditMessageOf(TENANT, { ...input, changes: { after: { definition: 'x'.repeat(MAX_AUDIT_ENVELOPE_BYTES - 1000) } } });
    expect(event.changes?.after).toEqual({ definition: 'x'.repeat(MAX_AUDIT_ENVELOPE_BYTES - 1000) });
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_AUDIT_ENVELOPE_BYTES);
  });
});
