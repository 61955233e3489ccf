import { chainHash, GENESIS_HASH, type AuditEvent } from '@bulkhead/audit';
import { withTransaction } from '@bulkhead/database';
import type { Pool, PoolClient } from 'pg';
import { EVENT_COLUMN_NAMES, eventColumns } from './event-columns';

/** What one {@link appendEvents} call did. */
export interface AppendResult {
  /** Events appended to their tenant's chain. */
  appended: number;
  /** Events dropped because their id was already logged (or repeated within the call). */
  duplicates: number;
}

export interface AppendOptions {
  /** Called once the transaction has begun, before the chains are locked (the consumer heartbeats here). */
  beforeAppend?: () => Promise<void>;
}

interface ChainedRow {
  event: AuditEvent;
  seq: bigint;
  prevHash: string;
  hash: string;
}

/**
 * Appends `events` to their tenants' hash chains in ONE transaction and a fixed number of
 * statements whatever the number of tenants: the missing chain heads are created, every
 * tenant's head is locked (`FOR UPDATE`, in tenant id order, so two consumers during a
 * rebalance cannot deadlock), events whose id is already logged are dropped; the others get the
 * next sequence numbers of their tenant in the order given, each hash chaining the previous one;
 * the rows, their ids and the new heads are written; then COMMIT. Throws, having written
 * nothing, on any failure.
 */
export async function appendEvents(pool: Pool, events: readonly AuditEvent[], options: AppendOptions = {}): Promise<AppendResult> {
  const unique = new Map<string, AuditEvent>();
  for (const event of events) if (!unique.has(event.id)) unique.set(event.id, event);
  if (unique.size === 0) return { appended: 0, duplicates: events.length };
  const tenantIds = [...new Set([...unique.values()].map((event) => event.tenantId))].sort();

  const appended = await withTransaction(pool, async (client) => {
    await options.beforeAppend?.();
    await client.query(
      'INSERT INTO audit_chain_heads (tenant_id, seq, hash) SELECT t, 0, $2 FROM unnest($1::uuid[]) AS t ORDER BY t ON CONFLICT (tenant_id) DO NOTHING',
      [tenantIds, GENESIS_HASH],
    );
    const heads = await client.query<{ tenant_id: string; seq: string; hash: string }>(
      'SELECT tenant_id, seq, hash FROM audit_chain_heads WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id FOR UPDATE',
      [tenantIds],
    );
    const known = await client.query<{ id: string }>('SELECT id FROM audit_event_ids WHERE id = ANY($1::uuid[])', [[...unique.keys()]]);
    for (const row of known.rows) unique.delete(row.id);
    if (unique.size === 0) return 0;

    const chains = new Map(heads.rows.map((head) => [head.tenant_id, { seq: BigInt(head.seq), hash: head.hash }]));
    const rows: ChainedRow[] = [...unique.values()].map((event) => {
      const head = chains.get(event.tenantId) ?? { seq: 0n, hash: GENESIS_HASH };
      const row = { event, seq: head.seq + 1n, prevHash: head.hash, hash: chainHash(head.hash, event) };
      chains.set(event.tenantId, { seq: row.seq, hash: row.hash });
      return row;
    });
    await insertRows(client, rows);
    const moved = [...new Set(rows.map((row) => row.event.tenantId))];
    await client.query(
      `UPDATE audit_chain_heads AS h SET seq = u.seq, hash = u.hash
         FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS u(tenant_id, seq, hash) WHERE h.tenant_id = u.tenant_id`,
      [moved, moved.map((tenantId) => chains.get(tenantId)?.seq.toString()), moved.map((tenantId) => chains.get(tenantId)?.hash)],
    );
    return rows.length;
  });
  return { appended, duplicates: events.length - appended };
}

const COLUMN_TYPES: Record<(typeof EVENT_COLUMN_NAMES)[number], string> = {
  tenant_id: 'uuid',
  id: 'uuid',
  occurred_at: 'timestamptz',
  actor_type: 'text',
  actor_id: 'text',
  action: 'text',
  resource_type: 'text',
  resource_id: 'text',
  outcome: 'text',
  request_id: 'text',
  trace_id: 'text',
  ip: 'text',
  user_agent: 'text',
};

const ROW_COLUMNS = [...EVENT_COLUMN_NAMES.map((name) => `${name} ${COLUMN_TYPES[name]}`), 'seq bigint', 'event jsonb', 'prev_hash text', 'hash text'];
const LOG_COLUMNS = [...EVENT_COLUMN_NAMES, 'seq', 'event', 'prev_hash', 'hash'].join(', ');

/**
 * The rows and their ids in one statement, from one JSON parameter: the rows' searchable
 * columns, sequence, event (as a JSON object, stored as jsonb) and hashes. One JSON text costs
 * less to build than an array parameter per column, whose every element pg escapes in JS.
 */
const INSERT_ROWS = `
  WITH rows AS MATERIALIZED (
    SELECT * FROM json_to_recordset($1::json) AS u(${ROW_COLUMNS.join(', ')})
  ), logged AS (
    INSERT INTO audit_events (${LOG_COLUMNS}) SELECT ${LOG_COLUMNS} FROM rows
  )
  INSERT INTO audit_event_ids (id, tenant_id, seq) SELECT id, tenant_id, seq FROM rows`;

async function insertRows(client: PoolClient, rows: readonly ChainedRow[]): Promise<void> {
  const records = rows.map((row) => ({ ...eventColumns(row.event), seq: row.seq.toString(), event: row.event, prev_hash: row.prevHash, hash: row.hash }));
  await client.query(INSERT_ROWS, [JSON.stringify(records)]);
}
