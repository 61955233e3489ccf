import { chainHash, GENESIS_HASH, type AuditEvent } from '@bulkhead/audit';
import type { Pool } from 'pg';
import { EVENT_COLUMN_NAMES, eventColumns, type EventColumns } from './event-columns';

/** Which part of a tenant's chain to verify; every bound is inclusive, none means the whole chain. */
export interface VerifyRange {
  fromSeq?: bigint;
  toSeq?: bigint;
  /** Events that occurred at or after this instant… */
  from?: Date;
  /** …and before this one (a time range covers the sequence span of its events). */
  to?: Date;
}

/** The answer of {@link verifyChain}: `ok`, or the first event whose link is broken, and why. */
export interface VerifyResult {
  ok: boolean;
  /** Stored events checked. */
  checked: number;
  firstBrokenEventId?: string;
  reason?: string;
}

type StoredRow = EventColumns & { seq: string; occurred_at: Date; event: AuditEvent; prev_hash: string; hash: string; registered_seq: string | null };

/** Rows read per query while streaming the chain. */
const PAGE = 1000n;

/**
 * Recomputes a tenant's chain over a range, streaming the rows in sequence order: every row's
 * `prev_hash` must be the previous row's hash (the genesis hash before seq 1), its hash must be
 * chainHash(prev_hash, event), sequence numbers contiguous, every column equal to what the
 * event says, and its id registered at that seq. A range that starts mid-chain starts from the
 * row before it. Verifying to the end of the chain also checks the chain head (a deleted last
 * event, or a forged one appended after it).
 */
export async function verifyChain(pool: Pool, tenantId: string, range: VerifyRange = {}): Promise<VerifyResult> {
  const bounds = await seqBounds(pool, tenantId, range);
  if (bounds === undefined) return isWholeChain(range) ? headWithoutEvents(pool, tenantId) : { ok: true, checked: 0 };
  const { first, last, toEnd } = bounds;

  let expectedSeq = first;
  let prevHash = GENESIS_HASH;
  if (first > 1n) {
    const before = await pool.query<{ hash: string }>('SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2', [tenantId, (first - 1n).toString()]);
    const row = before.rows[0];
    if (row === undefined || before.rows.length > 1) {
      const firstId = await eventIdAt(pool, tenantId, first);
      return { ok: false, checked: 0, ...(firstId === undefined ? {} : { firstBrokenEventId: firstId }), reason: `the event before seq ${first} is missing or duplicated` };
    }
    prevHash = row.hash;
  }

  let checked = 0;
  for (let start = first; start <= last; start += PAGE) {
    const end = start + PAGE - 1n < last ? start + PAGE - 1n : last;
    const { rows } = await pool.query<StoredRow>(
      `SELECT e.*, i.seq AS registered_seq FROM audit_events e LEFT JOIN audit_event_ids i ON i.id = e.id
       WHERE e.tenant_id = $1 AND e.seq BETWEEN $2 AND $3 ORDER BY e.seq, e.recorded_at, e.id`,
      [tenantId, start.toString(), end.toString()],
    );
    for (const row of rows) {
      if (BigInt(row.seq) > expectedSeq) {
        // A gap: the missing event is still in the id register, so name it rather than its successor.
        const missing = await eventIdAt(pool, tenantId, expectedSeq);
        return { ok: false, checked, firstBrokenEventId: missing ?? row.id, reason: `event seq ${expectedSeq} is missing` };
      }
      const reason = brokenLink(row, expectedSeq, prevHash);
      if (reason !== undefined) return { ok: false, checked, firstBrokenEventId: row.id, reason };
      checked += 1;
      expectedSeq += 1n;
      prevHash = row.hash;
    }
  }
  if (expectedSeq <= last) {
    const missingNext = await eventIdAt(pool, tenantId, expectedSeq);
    return { ok: false, checked, ...(missingNext === undefined ? {} : { firstBrokenEventId: missingNext }), reason: `event seq ${expectedSeq} is missing` };
  }
  if (toEnd) {
    const head = await pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1', [tenantId]);
    const headSeq = BigInt(head.rows[0]?.seq ?? '0');
    if (headSeq !== last || (head.rows[0]?.hash ?? GENESIS_HASH) !== prevHash) {
      const missing = headSeq > last ? await eventIdAt(pool, tenantId, last + 1n) : undefined;
      return { ok: false, checked, ...(missing === undefined ? {} : { firstBrokenEventId: missing }), reason: `the chain head (seq ${headSeq}) does not match the last stored event (seq ${last})` };
    }
  }
  return { ok: true, checked };
}

function isWholeChain(range: VerifyRange): boolean {
  return range.from === undefined && range.to === undefined && range.fromSeq === undefined && range.toSeq === undefined;
}

/** A tenant without stored events: fine unless its chain head says events were logged. */
async function headWithoutEvents(pool: Pool, tenantId: string): Promise<VerifyResult> {
  const head = await pool.query<{ seq: string }>('SELECT seq FROM audit_chain_heads WHERE tenant_id = $1', [tenantId]);
  const headSeq = BigInt(head.rows[0]?.seq ?? '0');
  if (headSeq === 0n) return { ok: true, checked: 0 };
  const missing = await eventIdAt(pool, tenantId, 1n);
  return { ok: false, checked: 0, ...(missing === undefined ? {} : { firstBrokenEventId: missing }), reason: `the chain head is at seq ${headSeq} but no event is stored` };
}

function brokenLink(row: StoredRow, expectedSeq: bigint, prevHash: string): string | undefined {
  const seq = BigInt(row.seq);
  if (row.registered_seq === null || BigInt(row.registered_seq) !== seq) return `event ${row.id} is not registered at seq ${seq}`;
  if (seq !== expectedSeq) return `seq ${seq} where ${expectedSeq} was expected`;
  if (row.prev_hash !== prevHash) return `prev_hash does not match the hash of seq ${seq - 1n}`;
  if (chainHash(row.prev_hash, row.event) !== row.hash) return 'hash does not match the stored event';
  const expected = eventColumns(row.event);
  const stored: EventColumns = { ...row, occurred_at: row.occurred_at.toISOString() };
  const differing = EVENT_COLUMN_NAMES.filter((name) => stored[name] !== expected[name]);
  if (differing.length > 0) return `columns differ from the stored event: ${differing.join(', ')}`;
  return undefined;
}

async function eventIdAt(pool: Pool, tenantId: string, seq: bigint): Promise<string | undefined> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM audit_event_ids WHERE tenant_id = $1 AND seq = $2', [tenantId, seq.toString()]);
  return rows[0]?.id;
}

/** The sequence span to verify, or undefined when the range holds no event. */
async function seqBounds(pool: Pool, tenantId: string, range: VerifyRange): Promise<{ first: bigint; last: bigint; toEnd: boolean } | undefined> {
  const { rows } = await pool.query<{ first: string | null; last: string | null; max: string | null }>(
    `SELECT min(seq) FILTER (WHERE in_range) AS first, max(seq) FILTER (WHERE in_range) AS last, max(seq) AS max
     FROM (SELECT seq, (occurred_at >= coalesce($2::timestamptz, '-infinity') AND occurred_at < coalesce($3::timestamptz, 'infinity')) AS in_range
           FROM audit_events WHERE tenant_id = $1) AS t`,
    [tenantId, range.from?.toISOString() ?? null, range.to?.toISOString() ?? null],
  );
  const row = rows[0];
  if (row?.first == null || row.last == null || row.max == null) return undefined;
  const first = range.fromSeq !== undefined && range.fromSeq > BigInt(row.first) ? range.fromSeq : BigInt(row.first);
  const last = range.toSeq !== undefined && range.toSeq < BigInt(row.last) ? range.toSeq : BigInt(row.last);
  if (first > last) return undefined;
  return { first, last, toEnd: last === BigInt(row.max) && range.to === undefined && range.toSeq === undefined };
}
