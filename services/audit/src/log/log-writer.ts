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
  /** Called before each tenant's chain is extended (the consumer heartbeats here). */
  beforeTenant?: () => Promise<void>;
}

interface ChainedRow {
  event: AuditEvent;
  seq: bigint;
  prevHash: string;
  hash: string;
}

/**
 * Appends `events` to their tenants' hash chains in ONE transaction: events whose id is already
 * logged are dropped; each tenant's chain head is locked (`FOR UPDATE`), the events get the
 * next sequence numbers in the order given, each hash chaining the previous one; the rows, their
 * ids and the new head are written; then COMMIT. Tenants are locked in id order so two
 * consumers (during a rebalance) cannot deadlock. Throws, having written nothing, on any failure.
 */
export async function appendEvents(pool: Pool, events: readonly AuditEvent[], options: AppendOptions = {}): Promise<AppendResult> {
  const byTenant = new Map<string, AuditEvent[]>();
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const list = byTenant.get(event.tenantId) ?? [];
    list.push(event);
    byTenant.set(event.tenantId, list);
  }
  if (byTenant.size === 0) return { appended: 0, duplicates: events.length };

  const appended = await withTransaction(pool, async (client) => {
    let count = 0;
    for (const tenantId of [...byTenant.keys()].sort()) {
      await options.beforeTenant?.();
      count += await appendTenantEvents(client, tenantId, byTenant.get(tenantId) ?? []);
    }
    return count;
  });
  return { appended, duplicates: events.length - appended };
}

async function appendTenantEvents(client: PoolClient, tenantId: string, events: readonly AuditEvent[]): Promise<number> {
  await client.query('INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING', [tenantId, GENESIS_HASH]);
  const head = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
  const known = await client.query<{ id: string }>('SELECT id FROM audit_event_ids WHERE id = ANY($1::uuid[])', [events.map((event) => event.id)]);
  const knownIds = new Set(known.rows.map((row) => row.id));
  const fresh = events.filter((event) => !knownIds.has(event.id));
  if (fresh.length === 0) return 0;

  let seq = BigInt(head.rows[0]?.seq ?? '0');
  let prevHash = head.rows[0]?.hash ?? GENESIS_HASH;
  const rows: ChainedRow[] = fresh.map((event) => {
    seq += 1n;
    const row = { event, seq, prevHash, hash: chainHash(prevHash, event) };
    prevHash = row.hash;
    return row;
  });
  await insertRows(client, rows);
  await client.query(
    'INSERT INTO audit_event_ids (id, tenant_id, seq) SELECT id, $1, seq FROM unnest($2::uuid[], $3::bigint[]) AS e(id, seq)',
    [tenantId, rows.map((row) => row.event.id), rows.map((row) => row.seq.toString())],
  );
  await client.query('UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE tenant_id = $1', [tenantId, seq.toString(), prevHash]);
  return rows.length;
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

/** One multi-row INSERT: each column is passed as one array parameter and unnested. */
async function insertRows(client: PoolClient, rows: readonly ChainedRow[]): Promise<void> {
  const columns = rows.map((row) => eventColumns(row.event));
  const params: unknown[] = EVENT_COLUMN_NAMES.map((name) => columns.map((column) => column[name]));
  params.push(
    rows.map((row) => row.seq.toString()),
    rows.map((row) => JSON.stringify(row.event)),
    rows.map((row) => row.prevHash),
    rows.map((row) => row.hash),
  );
  const unnested = [
    ...EVENT_COLUMN_NAMES.map((name, i) => `$${i + 1}::${COLUMN_TYPES[name]}[]`),
    ...['bigint', 'text', 'text', 'text'].map((type, i) => `$${EVENT_COLUMN_NAMES.length + i + 1}::${type}[]`),
  ];
  const names = [...EVENT_COLUMN_NAMES, 'seq', 'event', 'prev_hash', 'hash'];
  await client.query(
    `INSERT INTO audit_events (${names.join(', ')})
     SELECT ${names.map((name) => (name === 'event' ? 'u.event::jsonb' : `u.${name}`)).join(', ')}
     FROM unnest(${unnested.join(', ')}) AS u(${names.join(', ')})`,
    params,
  );
}
