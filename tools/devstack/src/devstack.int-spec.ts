import { loadDevstackEnv, type DevstackEnv } from '@bulkhead/testkit';
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
  it('are four databases on two distinct servers, two shards each', async () => {
    expect(env.shards.map((s) => s.id)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
    const identities = await Promise.all(
      env.shards.map(async (shard) => {
        const [row] = await query<{ system_identifier: string; db: string }>(
          shard.ownerUrl,
          'SELECT system_identifier::text, current_database() AS db FROM pg_control_system()',
        );
        return row;
      }),
    );
    expect(new Set(identities.map((r) => r?.db)).size).toBe(4);
    const servers = new Map<string, number>();
    for (const row of identities) servers.set(row?.system_identifier ?? '', (servers.get(row?.system_identifier ?? '') ?? 0) + 1);
    expect([...servers.values()]).toEqual([2, 2]);
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
    for (const shard of [...env.shards, env.identityDatabase, env.auditDatabase]) {
      const [role] = await query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        shard.url,
        'SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
      );
      expect(role).toEqual({ rolname: 'bulkhead_app', rolsuper: false, rolbypassrls: false });
    }
  });

  it('do not let the service role create tables: schema changes belong to the owner role', async () => {
    const shard = env.shards[0];
    await expect(query(shard?.url ?? '', 'CREATE TABLE devstack_forbidden (id int)')).rejects.toThrow(/permission denied/);
  });
});

describe('Redis', () => {
  it('round-trips a tenant-scoped key and honours its TTL', async () => {
    const redis = new Redis(env.redisUrl);
    try {
      const key = `bh:{${randomUUID()}}:probe`;
      await redis.set(key, 'value', 'PX', 5_000);
      expect(await redis.get(key)).toBe('value');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
      await redis.del(key);
      expect(await redis.get(key)).toBeNull();
    } finally {
      redis.disconnect();
    }
  });
});

describe('Kafka', () => {
  it('has the audit topics', async () => {
    const admin = new Kafka({ clientId: 'devstack-spec', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      expect(topics).toEqual(expect.arrayContaining(['audit.events', 'audit.events.dlq']));
    } finally {
      await admin.disconnect();
    }
  });

  it('delivers messages produced with kafkajs to a consumer group, in order per key', async () => {
    const kafka = new Kafka({ clientId: 'devstack-spec', brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    const topic = `devstack.probe.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: `devstack-spec-${randomUUID()}`, maxWaitTimeInMs: 100 });
    const tenants = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d'];
    const perTenant = 50;
    const received = new Map<string, number[]>();
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let resolveAll: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (resolveAll = resolve));
      await consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          received.set(key, [...(received.get(key) ?? []), Number(message.value?.toString())]);
          if ([...received.values()].reduce((n, list) => n + list.length, 0) === tenants.length * perTenant) resolveAll();
        },
      });
      await producer.connect();
      for (let seq = 0; seq < perTenant; seq += 1) {
        await producer.send({ topic, acks: -1, messages: tenants.map((key) => ({ key, value: String(seq) })) });
      }
      await all;
      for (const tenant of tenants) expect(received.get(tenant)).toEqual(Array.from({ length: perTenant }, (_, i) => i));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });
});
