import { withPgClient } from './pg-client';

/**
 * A tenant's audit events still waiting in outboxes (shards' or identity's), oldest first, read
 * with each database's owner URL the way the relay sees them (`app.audit_relay`, no tenant):
 * for specs proving an event was written with its change. The events are the envelopes'
 * `event` objects, as recorded. An outbox drained meanwhile by a running relay shows fewer.
 */
export async function auditOutboxEvents(ownerUrls: readonly string[], tenantId: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for (const url of ownerUrls) {
    await withPgClient(url, async (pg) => {
      await pg.query('BEGIN');
      await pg.query("SELECT set_config('app.audit_relay', 'on', true)");
      const { rows } = await pg.query<{ payload: { event: Record<string, unknown> } }>(
        'SELECT payload FROM audit_outbox WHERE tenant_id = $1 ORDER BY created_at, id',
        [tenantId],
      );
      await pg.query('ROLLBACK');
      events.push(...rows.map((row) => row.payload.event));
    });
  }
  return events;
}
