import type { AuditEvent, AuditOutcome } from '@bulkhead/audit';
import type { Pool } from 'pg';

/** What reviewers filter the log by; every field optional, set ones combined with AND. */
export interface EventFilter {
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: AuditOutcome;
  /** Events that occurred at or after this instant (RFC 3339)… */
  from?: string;
  /** …and before this one. */
  to?: string;
}

/** One logged event with its place in the tenant's chain. */
export interface LoggedEvent {
  event: AuditEvent;
  sequence: number;
  recordedAt: Date;
  prevHash: string;
  hash: string;
}

/** Where a newest-first listing continues: strictly older than this (occurred_at, seq). */
export interface ListPosition {
  /** `occurred_at` in UTC with microseconds, as the previous page's last row had it. */
  occurredAt: string;
  sequence: string;
}

type LoggedRow = { seq: string; event: AuditEvent; recorded_at: Date; prev_hash: string; hash: string; position: string };

// The row's exact occurred_at (microseconds, UTC) and seq: the keyset a listing continues from.
const SELECTED = `seq, event, recorded_at, prev_hash, hash,
  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '|' || seq AS position`;

/** Newest first; the (tenant_id, occurred_at DESC, seq DESC) index and its per-filter siblings serve it. */
const NEWEST_FIRST = 'ORDER BY occurred_at DESC, seq DESC';

const toLogged = (row: LoggedRow): LoggedEvent => ({
  event: row.event,
  sequence: Number(row.seq),
  recordedAt: row.recorded_at,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** The WHERE clause of a tenant's filtered events, its parameters numbered from $1. */
function whereOf(tenantId: string, filter: EventFilter, after?: ListPosition): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId];
  const conditions = ['tenant_id = $1'];
  const add = (condition: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.actorId !== undefined) add((p) => `actor_id = ${p}`, filter.actorId);
  if (filter.action !== undefined) add((p) => `action = ${p}`, filter.action);
  if (filter.resourceType !== undefined) add((p) => `resource_type = ${p}`, filter.resourceType);
  if (filter.resourceId !== undefined) add((p) => `resource_id = ${p}`, filter.resourceId);
  if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
  if (filter.from !== undefined) add((p) => `occurred_at >= ${p}::timestamptz`, filter.from);
  if (filter.to !== undefined) add((p) => `occurred_at < ${p}::timestamptz`, filter.to);
  if (after !== undefined) {
    params.push(after.occurredAt, after.sequence);
    conditions.push(`(occurred_at, seq) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
  }
  return { sql: conditions.join(' AND '), params };
}

/** One page of a tenant's events, newest first, with the position the next page starts after. */
export async function listEvents(
  pool: Pool,
  tenantId: string,
  filter: EventFilter,
  window: { limit: number; after: ListPosition | undefined },
): Promise<{ items: LoggedEvent[]; positions: string[] }> {
  const where = whereOf(tenantId, filter, window.after);
  const { rows } = await pool.query<LoggedRow>(`SELECT ${SELECTED} FROM audit_events WHERE ${where.sql} ${NEWEST_FIRST} LIMIT ${window.limit + 1}`, where.params);
  return { items: rows.map(toLogged), positions: rows.map((row) => row.position) };
}

/** A tenant's event by id, found through the id register; undefined when absent or another tenant's. */
export async function findEvent(pool: Pool, tenantId: string, id: string): Promise<LoggedEvent | undefined> {
  const { rows } = await pool.query<LoggedRow>(
    `SELECT ${SELECTED} FROM audit_events
     WHERE tenant_id = $1 AND id = $2 AND seq = (SELECT seq FROM audit_event_ids WHERE id = $2 AND tenant_id = $1)`,
    [tenantId, id],
  );
  const row = rows[0];
  return row === undefined ? undefined : toLogged(row);
}

/**
 * A tenant's filtered events, newest first, read through a server-side cursor `batchSize` rows
 * per FETCH, in one read-only REPEATABLE READ transaction (a consistent snapshot however long the
 * export takes). Only one batch is held at a time; the next FETCH runs when the consumer asks for
 * the next batch. Returning early (the reviewer went away) closes the cursor and frees the connection.
 */
export async function* readEventBatches(pool: Pool, tenantId: string, filter: EventFilter, batchSize: number): AsyncGenerator<LoggedEvent[], void, undefined> {
  const client = await pool.connect();
  let committed = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const where = whereOf(tenantId, filter);
    await client.query(`DECLARE audit_export NO SCROLL CURSOR FOR SELECT ${SELECTED} FROM audit_events WHERE ${where.sql} ${NEWEST_FIRST}`, where.params);
    for (;;) {
      const { rows } = await client.query<LoggedRow>(`FETCH ${batchSize} FROM audit_export`);
      if (rows.length > 0) yield rows.map(toLogged);
      if (rows.length < batchSize) break;
    }
    await client.query('COMMIT');
    committed = true;
  } finally {
    // An early return (the reviewer went away) or a failure leaves the transaction open: roll
    // it back before the connection goes back to the pool, or drop the connection if that fails.
    const reusable = committed || (await client.query('ROLLBACK').then(() => true, () => false));
    client.release(!reusable);
  }
}
