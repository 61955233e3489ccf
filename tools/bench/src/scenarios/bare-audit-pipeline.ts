import { createHash, randomUUID } from 'node:crypto';
import { GENESIS_HASH } from '@bulkhead/audit';
import type { DevstackEnv } from '@bulkhead/testkit';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';

const BATCH = 500;
const PARTITIONS = 6;

/** One tenant of the bare pipeline, and the shard its outbox rows go to. */
export interface BareTenant {
  tenantId: string;
  shardUrl: string;
}

/** The bare audit pipeline, ready to drain. */
export interface BareAuditPipeline {
  /**
   * Writes `values` (round robin over the tenants, one open transaction each) to the outboxes,
   * commits them all at once, relays and logs them; returns the milliseconds from the commits
   * to the last event logged.
   */
  drain(values: (tenantId: string) => string, count: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The audit pipeline built from the raw libraries alone, with only what the issue requires and
 * nothing of Bulkhead's: a scratch outbox per shard (no row-level security), claimed `FOR UPDATE
 * SKIP LOCKED` and deleted in batches of 500 by one loop per shard, each with its own idempotent
 * acks=all producer, started the moment the rows commit (no polling); one consumer group reading
 * 6 partitions concurrently, appending each batch in one transaction (chain heads locked,
 * duplicates dropped by id, `sha256(prevHash || value)` chained per tenant, rows inserted into a
 * log with its primary key and the id index only), offsets committed after it. Everything runs in
 * this process. What the required work costs on this machine: an upper bound for the real one.
 */
export async function openBareAuditPipeline(devstack: DevstackEnv, tenants: readonly BareTenant[]): Promise<BareAuditPipeline> {
  const run = randomUUID().slice(0, 8);
  const outbox = `bench_bare_outbox_${run}`;
  const log = `bench_bare_log_${run}`;
  const heads = `bench_bare_heads_${run}`;
  const topic = `bench.bare-audit.${run}`;

  const shardUrls = [...new Set(tenants.map((tenant) => tenant.shardUrl))];
  const ownerOf = (url: string): string => devstack.shards.find((shard) => shard.url === url)?.ownerUrl ?? url;
  const shardPools = new Map(shardUrls.map((url) => [url, new Pool({ connectionString: ownerOf(url), max: tenants.length + 1 })]));
  const auditDb = new Pool({ connectionString: devstack.auditDatabase.ownerUrl, max: PARTITIONS + 1 });
  for (const pool of shardPools.values()) {
    await pool.query(`CREATE TABLE ${outbox} (tenant_id uuid NOT NULL, id uuid NOT NULL, payload json NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (tenant_id, id))`);
    await pool.query(`CREATE INDEX ON ${outbox} (created_at, id)`);
  }
  await auditDb.query(`CREATE TABLE ${log} (tenant_id uuid NOT NULL, seq bigint NOT NULL, id uuid NOT NULL UNIQUE, event jsonb NOT NULL,
    prev_hash text NOT NULL, hash text NOT NULL, PRIMARY KEY (tenant_id, seq))`);
  await auditDb.query(`CREATE TABLE ${heads} (tenant_id uuid PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)`);

  const kafka = new Kafka({ clientId: `bench-bare-audit-${run}`, brokers: devstack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  const producers = new Map<string, Producer>();
  for (const url of shardUrls) {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    producers.set(url, producer);
  }

  const consumer = kafka.consumer({ groupId: `bench-bare-audit-${run}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      const events = batch.messages.map((message) => {
        const value = message.value?.toString('utf8') ?? 'null';
        const envelope = JSON.parse(value) as { event: { id: string; tenantId: string } };
        return { id: envelope.event.id, tenantId: envelope.event.tenantId, value };
      });
      await appendBatch(auditDb, events);
      resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
    },
  });

  async function appendBatch(pool: Pool, events: readonly { id: string; tenantId: string; value: string }[]): Promise<void> {
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

  /** Claims, produces and deletes `url`'s outbox rows until `relayed()` says every event is out. */
  async function relayShard(url: string, done: () => boolean, relayed: (count: number) => void): Promise<void> {
    const pool = shardPools.get(url) as Pool;
    const producer = producers.get(url) as Producer;
    while (!done()) {
      const client: PoolClient = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ tenant_id: string; id: string; payload: string }>(
          `WITH claimed AS (SELECT ctid FROM ${outbox} ORDER BY created_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED),
             deleted AS (DELETE FROM ${outbox} WHERE ctid = ANY (ARRAY(SELECT ctid FROM claimed)) RETURNING tenant_id, id, payload, created_at)
           SELECT tenant_id, id, payload::text AS payload FROM deleted ORDER BY created_at, id`,
        );
        if (rows.length > 0) await producer.send({ topic, acks: -1, messages: rows.map((row) => ({ key: row.tenant_id, value: row.payload })) });
        await client.query('COMMIT');
        relayed(rows.length);
        if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      } finally {
        client.release();
      }
    }
  }

  const logged = async (): Promise<number> =>
    Number((await auditDb.query<{ n: string }>(`SELECT coalesce(sum(seq), 0) AS n FROM ${heads}`)).rows[0]?.n ?? 0);
  let expectedLogged = 0;

  return {
    async drain(valueOf, count) {
      let release = (): void => undefined;
      const committing = new Promise<void>((resolve) => (release = resolve));
      const writes = await Promise.all(
        tenants.map(async ({ tenantId, shardUrl }, index) => {
          const client = await (shardPools.get(shardUrl) as Pool).connect();
          await client.query('BEGIN');
          const values = Array.from({ length: Math.ceil((count - index) / tenants.length) }, () => valueOf(tenantId));
          const ids = values.map((value) => (JSON.parse(value) as { event: { id: string } }).event.id);
          await client.query(`INSERT INTO ${outbox} (tenant_id, id, payload) SELECT $1, i, p FROM unnest($2::uuid[], $3::json[]) AS u(i, p)`, [tenantId, ids, values]);
          // In an object: a promise returned as it is would make Promise.all wait for the commit.
          const committed = committing.then(async () => {
            await client.query('COMMIT');
            client.release();
          });
          return { committed };
        }),
      );
      expectedLogged += count;
      let outstanding = count;
      const started = performance.now();
      release();
      const relays = shardUrls.map((url) => relayShard(url, () => outstanding <= 0, (relayed) => (outstanding -= relayed)));
      await Promise.all([...writes.map((write) => write.committed), ...relays]);
      while ((await logged()) < expectedLogged) await new Promise((resolve) => setTimeout(resolve, 5));
      return performance.now() - started;
    },
    async close() {
      await consumer.disconnect();
      await Promise.all([...producers.values()].map((producer) => producer.disconnect()));
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
      for (const pool of shardPools.values()) {
        await pool.query(`DROP TABLE ${outbox}`);
        await pool.end();
      }
      await auditDb.query(`DROP TABLE ${log}, ${heads}`);
      await auditDb.end();
    },
  };
}
