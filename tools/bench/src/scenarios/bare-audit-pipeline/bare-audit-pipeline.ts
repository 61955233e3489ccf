import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
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
 * acks=all producer, started the moment the rows commit (no polling), in this process; and, in a
 * child process of its own (see bare-log-consumer.child.ts), a consumer appending the batches to
 * a hash-chained log with its primary key and the id index only. What the required work costs on
 * this machine, each half with a core's worth of JavaScript: an upper bound for the real one.
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
  const auditDb = new Pool({ connectionString: devstack.auditDatabase.ownerUrl, max: 1 });
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

  const consumer = fork(path.join(__dirname, 'bare-log-consumer.child.ts'), {
    env: {
      ...process.env,
      BARE_LOG_TABLE: log,
      BARE_HEADS_TABLE: heads,
      BARE_PARTITIONS: String(PARTITIONS),
      BARE_AUDIT_URL: devstack.auditDatabase.ownerUrl,
      BARE_BROKERS: devstack.kafkaBrokers.join(','),
      BARE_GROUP: `bench-bare-audit-${run}`,
      BARE_TOPIC: topic,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    consumer.once('message', () => resolve());
    consumer.once('exit', (code) => reject(new Error(`the bare log consumer exited (${code}) before it was ready`)));
  });

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
      await new Promise<void>((resolve) => {
        consumer.once('exit', () => resolve());
        consumer.kill('SIGTERM');
      });
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
