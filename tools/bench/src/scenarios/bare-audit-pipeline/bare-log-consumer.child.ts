import { createHash } from 'node:crypto';
import { GENESIS_HASH } from '@bulkhead/audit';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { requiredEnv } from '../bare-read-path/bare-read-path.shared';

/**
 * The bare pipeline's consumer, in its own process like the relay's other half would be: a
 * consumer group reading every partition concurrently, appending each batch in one transaction
 * (chain heads locked, duplicates dropped by id, `sha256(prevHash || value)` chained per tenant,
 * rows inserted, heads moved), its offsets committed after.
 */
const log = requiredEnv('BARE_LOG_TABLE');
const heads = requiredEnv('BARE_HEADS_TABLE');
const partitions = Number(requiredEnv('BARE_PARTITIONS'));
const pool = new pg.Pool({ connectionString: requiredEnv('BARE_AUDIT_URL'), max: partitions });

interface LoggedEvent {
  id: string;
  tenantId: string;
  value: string;
}

async function appendBatch(events: readonly LoggedEvent[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const tenantIds = [...new Set(events.map((event) => event.tenantId))].sort();
    await client.query(`INSERT INTO ${heads} SELECT t, 0, $2 FROM unnest($1::uuid[]) AS t ORDER BY t ON CONFLICT DO NOTHING`, [tenantIds, GENESIS_HASH]);
    const locked = await client.query<{ tenant_id: string; seq: string; hash: string }>(
      `SELECT tenant_id, seq, hash FROM ${heads} WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id FOR UPDATE`,
      [tenantIds],
    );
    const known = new Set((await client.query<{ id: string }>(`SELECT id FROM ${log} WHERE id = ANY($1::uuid[])`, [events.map((event) => event.id)])).rows.map((row) => row.id));
    const chains = new Map(locked.rows.map((row) => [row.tenant_id, { seq: Number(row.seq), hash: row.hash }]));
    const rows = { tenant: [] as string[], seq: [] as number[], id: [] as string[], event: [] as string[], prev: [] as string[], hash: [] as string[] };
    for (const event of events) {
      const chain = chains.get(event.tenantId);
      if (chain === undefined || known.has(event.id)) continue;
      known.add(event.id);
      const hash = createHash('sha256').update(chain.hash).update(event.value).digest('hex');
      rows.tenant.push(event.tenantId);
      rows.seq.push(chain.seq + 1);
      rows.id.push(event.id);
      rows.event.push(event.value);
      rows.prev.push(chain.hash);
      rows.hash.push(hash);
      chains.set(event.tenantId, { seq: chain.seq + 1, hash });
    }
    await client.query(`INSERT INTO ${log} SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::jsonb[], $5::text[], $6::text[])`, [
      rows.tenant,
      rows.seq,
      rows.id,
      rows.event,
      rows.prev,
      rows.hash,
    ]);
    const moved = [...chains.entries()];
    await client.query(`UPDATE ${heads} AS h SET seq = u.seq, hash = u.hash FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS u(t, seq, hash) WHERE h.tenant_id = u.t`, [
      moved.map(([tenantId]) => tenantId),
      moved.map(([, chain]) => chain.seq),
      moved.map(([, chain]) => chain.hash),
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-bare-log', brokers: requiredEnv('BARE_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: requiredEnv('BARE_GROUP'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [requiredEnv('BARE_TOPIC')], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      await appendBatch(
        batch.messages.map((message) => {
          const value = message.value?.toString('utf8') ?? 'null';
          const envelope = JSON.parse(value) as { event: { id: string; tenantId: string } };
          return { id: envelope.event.id, tenantId: envelope.event.tenantId, value };
        }),
      );
      resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
    },
  });
  process.send?.('ready');
  process.on('SIGTERM', () => {
    void consumer
      .disconnect()
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
}

void main();
