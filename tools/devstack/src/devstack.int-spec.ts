import { loadDevstackEnv, startComponent, stopComponent, type DevstackEnv } from '@bulkhead/testkit';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

let env: DevstackEnv;

beforeAll(() => {
  env = loadDevstackEnv();
});

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL shards', () => {
  it('are four databases, two on each of two distinct servers', async () => {
    expect(env.shards.map((s) => s.id)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
    const rows = await Promise.all(
      env.shards.map(async (shard) => {
        const [row] = await query<{ db: string; port: number }>(shard.url, 'SELECT current_database() AS db, inet_server_port() AS port');
        return { ...row, server: shard.server };
      }),
    );
    expect(new Set(rows.map((r) => r.db)).size).toBe(4);
    const serverIds = await Promise.all(
      env.postgresServers.map(async (server) => {
        const [row] = await query<{ id: string }>(server.superuserUrl ?? '', 'SELECT system_identifier::text AS id FROM pg_control_system()');
        return row?.id;
      }),
    );
    expect(new Set(serverIds).size).toBe(2);
    const perServer = new Map<string, number>();
    for (const row of rows) perServer.set(row.server, (perServer.get(row.server) ?? 0) + 1);
    expect([...perServer.values()]).toEqual([2, 2]);
    const portsPerServer = new Map<string, Set<number | undefined>>();
    for (const row of rows) portsPerServer.set(row.server, (portsPerServer.get(row.server) ?? new Set()).add(row.port));
    expect([...portsPerServer.values()].map((ports) => ports.size)).toEqual([1, 1]);
  });

  it('keep their data apart: a row written in one shard is invisible in the other three', async () => {
    const table = `devstack_probe_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const marker = randomUUID();
    for (const shard of env.shards) await query(shard.ownerUrl, `CREATE TABLE ${table} (marker uuid)`);
    try {
      const [first, ...others] = env.shards;
      await query(first?.ownerUrl ?? '', `INSERT INTO ${table} VALUES ($1)`, [marker]);
      expect(await query(first?.ownerUrl ?? '', `SELECT marker FROM ${table}`)).toEqual([{ marker }]);
      for (const shard of others) expect(await query(shard.ownerUrl, `SELECT marker FROM ${table}`)).toEqual([]);
    } finally {
      for (const shard of env.shards) await query(shard.ownerUrl, `DROP TABLE IF EXISTS ${table}`);
    }
  });

  it('are reachable as the service role, which is no superuser and cannot bypass row-level security', async () => {
    for (const database of [...env.shards, env.identityDatabase, env.auditDatabase]) {
      const [role] = await query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        database.url,
        'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
      );
      expect(role).toEqual({ rolname: 'bulkhead_app', rolsuper: false, rolbypassrls: false });
    }
  });

  it('are owned by the migration owner, which is no superuser either', async () => {
    for (const database of [...env.shards, env.identityDatabase, env.auditDatabase]) {
      const [row] = await query<{ owner: string; rolsuper: boolean }>(
        database.ownerUrl,
        `SELECT pg_get_userbyid(d.datdba) AS owner, r.rolsuper
           FROM pg_database d JOIN pg_roles r ON r.rolname = current_user
          WHERE d.datname = current_database()`,
      );
      expect(row).toEqual({ owner: 'bulkhead_owner', rolsuper: false });
    }
  });

  it('do not let the service role create tables: schema changes belong to the owner role', async () => {
    await expect(query(env.shards[0]?.url ?? '', 'CREATE TABLE devstack_forbidden (id int)')).rejects.toThrow(/permission denied/);
  });
});

describe('Redis', () => {
  it('round-trips a tenant-scoped key and honours its TTL', async () => {
    const redis = new Redis(env.redisUrl);
    try {
      const key = `bh:{${randomUUID()}}:probe`;
      await redis.set(key, 'value', 'PX', 300);
      expect(await redis.get(key)).toBe('value');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      // Await the expiry itself: poll the key until Redis drops it, bounded by a deadline.
      const deadline = Date.now() + 5_000;
      while ((await redis.exists(key)) === 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await redis.get(key)).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('is stopped and started by the controls recorded in env.json', async () => {
    if (env.modes.redis === 'external') {
      expect(() => stopComponent(env, 'redis')).toThrow(/not managed by this devstack/);
      return;
    }
    const ping = async (): Promise<string> => {
      const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return await redis.ping();
      } catch {
        return 'unreachable';
      } finally {
        redis.disconnect();
      }
    };
    stopComponent(env, 'redis');
    try {
      expect(await ping()).toBe('unreachable');
    } finally {
      startComponent(env, 'redis');
    }
    expect(await ping()).toBe('PONG');
  });
});

describe('Kafka', () => {
  it('has the audit topics with their partitions', async () => {
    const admin = new Kafka({ clientId: 'devstack-spec', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['audit.events', 'audit.events.dlq'] });
      expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({ 'audit.events': 6, 'audit.events.dlq': 1 });
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers messages keyed by tenant to a consumer group, all of them, in order per tenant', async () => {
    const kafka = new Kafka({ clientId: 'devstack-spec', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    const topic = `devstack.probe.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `devstack-spec-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const tenants = Array.from({ length: 6 }, () => randomUUID());
    const perTenant = 50;
    const received = new Map<string, number[]>();
    try {
      let allReceived: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (allReceived = resolve));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          received.set(key, [...(received.get(key) ?? []), Number(message.value?.toString())]);
          if ([...received.values()].reduce((n, list) => n + list.length, 0) === tenants.length * perTenant) allReceived();
        },
      });
      await producer.connect();
      for (let seq = 0; seq < perTenant; seq += 1) {
        await producer.send({ topic, acks: -1, messages: tenants.map((key) => ({ key, value: String(seq) })) });
      }
      await all;
      expect([...received.keys()].sort()).toEqual([...tenants].sort());
      for (const tenant of tenants) expect(received.get(tenant)).toEqual(Array.from({ length: perTenant }, (_, i) => i));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });
});
