import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AuditEvent } from '@bulkhead/audit';
import { loadConfig } from '@bulkhead/config';
import { uuidv7 } from '@bulkhead/database';
import { createLogger, createMetricsRegistry, type Registry } from '@bulkhead/observability';
import { createSupervisor, type ServiceDependencies } from '@bulkhead/service-runtime';
import {
  auditDatabaseSuperuserUrl,
  eventually,
  loadDevstackEnv,
  tamperAuditLog,
  toServiceEnvironment,
  withPgClient,
  workspaceRoot,
} from '@bulkhead/testkit';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { auditConfigShape, type AuditConfig } from './audit.config';
import { startAuditServer, type AuditServer } from './audit.server';
import { verifyChain } from './log/chain-verifier';
import { migrateDevstackDatabases } from './testing/migrate-devstack';

jest.setTimeout(60_000);

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const run = randomBytes(4).toString('hex');
const kafka = new Kafka({ clientId: `audit-int-${run}`, brokers: devstack.kafkaBrokers, logLevel: logLevel.NOTHING });

let config: AuditConfig;
let server: AuditServer;
let producer: Producer;
let pool: Pool;
/** The running server's metrics. */
let registry = createMetricsRegistry('audit');

beforeAll(async () => {
  await migrateDevstackDatabases(environment, path.join(workspaceRoot(), 'services'));
  config = loadConfig(auditConfigShape, {
    ...environment,
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    MIGRATIONS_DIR: path.join(workspaceRoot(), 'services'),
    AUDIT_TOPIC: `audit.events.int-${run}`,
    AUDIT_DLQ_TOPIC: `audit.events.dlq.int-${run}`,
    AUDIT_CONSUMER_GROUP: `bulkhead-audit-log-int-${run}`,
    // The relay would drain every devstack outbox into this run's topic, taking the events of
    // concurrently running specs (the relay's own spec among them); these specs produce directly.
    RELAY_ENABLED: 'false',
    // No reviewer calls here: the JWKS is never fetched.
    AUTH_GRPC_ADDRESS: '127.0.0.1:1',
  });
  server = await startAuditServer(config, dependenciesOf(registry));
  producer = kafka.producer({ idempotent: true });
  await producer.connect();
  pool = new Pool({ connectionString: config.AUDIT_DATABASE_URL, max: 2 });
});

afterAll(async () => {
  await producer?.disconnect();
  await server?.stop(1000);
  await pool?.end();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [config.AUDIT_TOPIC, config.AUDIT_DLQ_TOPIC] }).finally(() => admin.disconnect());
});

/** What runService gives an audit server: a silent logger, `registry`, and a supervisor of its own. */
function dependenciesOf(registry: Registry): ServiceDependencies {
  const logger = createLogger({ service: 'audit-int', level: 'silent' });
  return { logger, registry, supervisor: createSupervisor({ logger, registry, backoff: { initialMs: 100, maxMs: 1000 } }) };
}

function makeEvent(tenantId: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: uuidv7(),
    tenantId,
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: uuidv7() },
    action: 'project.created',
    resource: { type: 'project', id: uuidv7() },
    outcome: 'success',
    requestId: `req-${randomBytes(4).toString('hex')}`,
    traceId: randomBytes(16).toString('hex'),
    ip: '10.1.2.3',
    userAgent: 'audit-int',
    changes: { after: { name: 'Apollo' } },
    metadata: {},
    ...overrides,
  };
}

/** Produces events in envelopes, and strings as they are under `rawKey` (the same partition as that tenant's events). */
async function produce(values: readonly (string | AuditEvent)[], rawKey = 'raw'): Promise<void> {
  await producer.send({
    topic: config.AUDIT_TOPIC,
    acks: -1,
    messages: values.map((value) =>
      typeof value === 'string' ? { key: rawKey, value } : { key: value.tenantId, value: JSON.stringify({ v: 1, event: value }) },
    ),
  });
}

async function loggedIds(tenantId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenantId]);
  return rows.map((row) => row.id);
}

async function waitForLogged(tenantId: string, count: number): Promise<string[]> {
  await eventually(async () => expect(await loggedIds(tenantId)).toHaveLength(count), 30_000);
  return loggedIds(tenantId);
}

/** Logs `count` events of a new tenant and waits for them; returns the tenant and its events' ids in chain order. */
async function loggedTenant(count: number): Promise<{ tenantId: string; ids: string[] }> {
  const tenantId = uuidv7();
  await produce(Array.from({ length: count }, () => makeEvent(tenantId)));
  return { tenantId, ids: await waitForLogged(tenantId, count) };
}

describe('consuming the audit topic', () => {
  it('created the audit topic with 6 partitions and the dead-letter topic with 1', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [config.AUDIT_TOPIC, config.AUDIT_DLQ_TOPIC] });
      expect(topics.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual([
        [config.AUDIT_DLQ_TOPIC, 1],
        [config.AUDIT_TOPIC, 6],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('logs every event of three tenants once, each tenant in its own verified chain', async () => {
    const tenants = [uuidv7(), uuidv7(), uuidv7()];
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(tenants[i % 3] ?? ''));
    await produce(events);
    for (const tenantId of tenants) {
      const expected = events.filter((event) => event.tenantId === tenantId).map((event) => event.id);
      expect(await waitForLogged(tenantId, 10)).toEqual(expected);
      expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 10 });
      const { rows } = await pool.query('SELECT seq::int, action, outcome FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [tenantId]);
      expect(rows.map((row: { seq: number }) => row.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(rows[0]).toMatchObject({ action: 'project.created', outcome: 'success' });
    }
  });

  it('a batch whose transaction fails is retried with no offset committed, and logged once', async () => {
    const { tenantId, ids } = await loggedTenant(1);
    const later = [makeEvent(tenantId), makeEvent(tenantId)];
    await withPgClient(auditDatabaseSuperuserUrl(devstack), async (admin) => {
      const holder = await pool.connect();
      try {
        // Hold the tenant's chain head so the consumer's batch waits on it, then cut its connection.
        await holder.query('BEGIN');
        await holder.query('SELECT seq FROM audit_chain_heads WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
        await produce(later);
        const blocked = async (): Promise<number> => {
          const { rows } = await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%audit_chain_heads%FOR UPDATE%'`,
          );
          expect(rows).toHaveLength(1);
          return rows[0]?.pid ?? 0;
        };
        let pid = 0;
        await eventually(async () => {
          pid = await blocked();
        }, 30_000);
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await holder.query('ROLLBACK');
      } finally {
        holder.release();
      }
    });
    expect(await waitForLogged(tenantId, 3)).toEqual([...ids, ...later.map((event) => event.id)]);
    expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 3 });
  });

  it('logs 2 000 events of 10 tenants exactly once while a second instance joins the group and the first leaves', async () => {
    const tenants = Array.from({ length: 10 }, () => uuidv7());
    const events = Array.from({ length: 2000 }, (_, i) => makeEvent(tenants[i % tenants.length] ?? ''));
    const second = await startAuditServer(config, dependenciesOf(createMetricsRegistry('audit')));
    try {
      for (let i = 0; i < events.length; i += 100) {
        await produce(events.slice(i, i + 100));
        if (i === 1000) {
          await server.stop(1000);
          registry = createMetricsRegistry('audit');
          server = await startAuditServer(config, dependenciesOf(registry));
        }
      }
      for (const tenantId of tenants) {
        const expected = events.filter((event) => event.tenantId === tenantId).map((event) => event.id);
        expect(await waitForLogged(tenantId, 200)).toEqual(expected);
        expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 200 });
      }
    } finally {
      await second.stop(1000);
    }
  });

  it('logs an event produced twice once', async () => {
    const tenantId = uuidv7();
    const event = makeEvent(tenantId);
    await produce([event]);
    await waitForLogged(tenantId, 1);
    const after = makeEvent(tenantId);
    await produce([event, after]);
    await eventually(async () => expect(await loggedIds(tenantId)).toEqual([event.id, after.id]), 30_000);
    expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 2 });
  });

  it('dead-letters unparseable, unknown-version, invalid and unstorable messages with a reason, and keeps consuming after them', async () => {
    const tenantId = uuidv7();
    const before = makeEvent(tenantId);
    const after = makeEvent(tenantId);
    const withoutTenant: Partial<AuditEvent> = makeEvent(tenantId);
    delete withoutTenant.tenantId;
    const poison = [
      'not json {',
      JSON.stringify({ v: 2, event: makeEvent(tenantId) }),
      JSON.stringify({ v: 1, event: withoutTenant }),
      JSON.stringify({ v: 1, event: makeEvent(tenantId, { userAgent: 'nul\u0000' }) }),
    ];
    await produce([before, ...poison, after], tenantId);
    expect(await waitForLogged(tenantId, 2)).toEqual([before.id, after.id]);

    const dead = await readTopic(config.AUDIT_DLQ_TOPIC, 4, (message) => poison.includes(message.value ?? ''));
    expect(dead.map((message) => message.value)).toEqual(poison);
    expect(dead.map((message) => message.headers['reason'])).toEqual([
      'unparseable: not JSON',
      'unknown version: 2',
      expect.stringMatching(/^invalid event: tenantId: /),
      'invalid event: userAgent: text PostgreSQL cannot store (NUL or a lone surrogate)',
    ]);
    const deadLettered = await registry.getSingleMetric('bulkhead_audit_messages_dead_lettered_total')?.get();
    expect(deadLettered?.values[0]?.value).toBe(4);
    for (const message of dead) {
      expect(message.headers['source-partition']).toMatch(/^\d+$/);
      expect(message.headers['source-offset']).toMatch(/^\d+$/);
    }
  });

  it('dead-letters in full a flood of poison whose dead letters exceed what the broker takes in one request, and keeps consuming after it', async () => {
    const tenantId = uuidv7();
    // One request of ~0.8 MB, so the log fetches the flood as one batch: ~68 bytes a message in
    // the topic, and twice that as a dead letter (the reason and the source are headers).
    const poison = Array.from({ length: 12_000 }, (_, i) => `not json ${String(i).padStart(5, '0')} xxxxx`);
    await produce(poison, tenantId);
    const after = makeEvent(tenantId);
    await produce([after]);
    expect(await waitForLogged(tenantId, 1)).toEqual([after.id]);

    const flood = new Set(poison);
    const dead = await readTopic(config.AUDIT_DLQ_TOPIC, poison.length, (message) => flood.has(message.value ?? ''));
    expect(dead.map((message) => message.value)).toEqual(poison);
  });

  it('dead-letters whole a poison message as large as the audit topic takes, and keeps consuming after it', async () => {
    const tenantId = uuidv7();
    // Its record batch is just under the broker's default limit (1 048 588 bytes); the same
    // message with the dead letter's three headers is just over it.
    const poison = `not json ${'x'.repeat(1_048_441)}`;
    await produce([poison], tenantId);
    const after = makeEvent(tenantId);
    await produce([after]);
    expect(await waitForLogged(tenantId, 1)).toEqual([after.id]);

    const dead = await readTopic(config.AUDIT_DLQ_TOPIC, 1, (message) => message.value === poison);
    expect(dead[0]?.headers['reason']).toBe('unparseable: not JSON');
  });

  it('an event the database refuses on every attempt is isolated from its batch and dead-lettered with the reason; the rest is logged', async () => {
    const tenantId = uuidv7();
    const before = makeEvent(tenantId);
    // Valid by the event schema, but PostgreSQL has no year 0: the INSERT fails the same way each time.
    const refused = makeEvent(tenantId, { occurredAt: '0000-01-01T00:00:00Z' });
    const after = makeEvent(tenantId);
    await produce([before, refused, after]);
    expect(await waitForLogged(tenantId, 2)).toEqual([before.id, after.id]);
    expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 2 });

    const refusedValue = JSON.stringify({ v: 1, event: refused });
    const dead = await readTopic(config.AUDIT_DLQ_TOPIC, 1, (message) => message.value === refusedValue);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers['reason']).toMatch(/^database refused the event: .*out of range/);
  });
});

interface ReadMessage {
  value: string | undefined;
  headers: Record<string, string | undefined>;
}

/** Reads `topic` from its start until `count` messages that `keep` accepts are in, and returns those. */
async function readTopic(topic: string, count: number, keep: (message: ReadMessage) => boolean): Promise<ReadMessage[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `audit-int-reader-${randomBytes(4).toString('hex')}` });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]));
        const read = { value: message.value?.toString(), headers };
        if (keep(read)) messages.push(read);
      },
    });
    await eventually(async () => expect(messages.length).toBeGreaterThanOrEqual(count), 30_000);
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

describe('tamper evidence', () => {
  const tamper = (sql: string, params: unknown[]): Promise<unknown> => tamperAuditLog(sql, params, devstack);

  it('an altered event is reported', async () => {
    const { tenantId, ids } = await loggedTenant(4);
    await tamper(`UPDATE audit_events SET event = jsonb_set(event, '{outcome}', '"denied"'), outcome = 'denied' WHERE id = $1`, [ids[2]]);
    expect(await verifyChain(pool, tenantId)).toMatchObject({ ok: false, checked: 2, firstBrokenEventId: ids[2], reason: 'hash does not match the stored event' });
  });

  it('an altered column is reported', async () => {
    const { tenantId, ids } = await loggedTenant(3);
    await tamper(`UPDATE audit_events SET actor_id = 'someone-else' WHERE id = $1`, [ids[1]]);
    expect(await verifyChain(pool, tenantId)).toMatchObject({ ok: false, firstBrokenEventId: ids[1], reason: expect.stringContaining('actor_id') });
  });

  it('a deleted event is reported at its own id (from the id register), mid-chain, last or only', async () => {
    const { tenantId, ids } = await loggedTenant(4);
    await tamper('DELETE FROM audit_events WHERE id = $1', [ids[1]]);
    expect(await verifyChain(pool, tenantId)).toMatchObject({ ok: false, checked: 1, firstBrokenEventId: ids[1], reason: 'event seq 2 is missing' });

    const last = await loggedTenant(3);
    await tamper('DELETE FROM audit_events WHERE id = $1', [last.ids[2]]);
    expect(await verifyChain(pool, last.tenantId)).toMatchObject({ ok: false, checked: 2, firstBrokenEventId: last.ids[2] });

    const only = await loggedTenant(1);
    await tamper('DELETE FROM audit_events WHERE id = $1', [only.ids[0]]);
    expect(await verifyChain(pool, only.tenantId)).toMatchObject({ ok: false, checked: 0, firstBrokenEventId: only.ids[0] });
  });

  it('a forged event is reported, inserted mid-chain or appended after the head', async () => {
    const { tenantId, ids } = await loggedTenant(3);
    const forged = makeEvent(tenantId, { action: 'member.removed' });
    await tamper(
      `INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action, resource_type, resource_id, outcome, event, prev_hash, hash)
       SELECT tenant_id, seq, $2, occurred_at + interval '1 millisecond', actor_type, actor_id, 'member.removed', resource_type, resource_id, outcome, $3, prev_hash, hash
       FROM audit_events WHERE id = $1`,
      [ids[1], forged.id, JSON.stringify(forged)],
    );
    expect(await verifyChain(pool, tenantId)).toMatchObject({ ok: false, firstBrokenEventId: forged.id });

    const other = await loggedTenant(2);
    const appended = makeEvent(other.tenantId);
    await tamper(
      `INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, action, resource_type, outcome, event, prev_hash, hash)
       SELECT tenant_id, 3, $2, occurred_at, actor_type, actor_id, action, resource_type, outcome, $3, hash, repeat('f', 64)
       FROM audit_events WHERE id = $1`,
      [other.ids[1], appended.id, JSON.stringify(appended)],
    );
    expect(await verifyChain(pool, other.tenantId)).toMatchObject({ ok: false, checked: 2, firstBrokenEventId: appended.id });
  });

  it('verifying a time range covers the sequence span of its events', async () => {
    const tenantId = uuidv7();
    const hour = 3600_000;
    const now = Date.now();
    const events = [5, 4, 3, 2, 1].map((hoursAgo) => makeEvent(tenantId, { occurredAt: new Date(now - hoursAgo * hour).toISOString() }));
    await produce(events);
    const ids = await waitForLogged(tenantId, 5);
    const range = { from: new Date(now - 3.5 * hour), to: new Date(now - 1.5 * hour) };
    expect(await verifyChain(pool, tenantId, range)).toEqual({ ok: true, checked: 2 });
    await tamper(`UPDATE audit_events SET event = jsonb_set(event, '{action}', '"project.deleted"') WHERE id = $1`, [ids[3]]);
    expect(await verifyChain(pool, tenantId, range)).toMatchObject({ ok: false, checked: 1, firstBrokenEventId: ids[3] });
    expect(await verifyChain(pool, tenantId, { to: new Date(now - 2.5 * hour) })).toEqual({ ok: true, checked: 3 });
  });

  it('verifying a range that starts mid-chain links it to the event before', async () => {
    const { tenantId, ids } = await loggedTenant(5);
    expect(await verifyChain(pool, tenantId, { fromSeq: 3n, toSeq: 4n })).toEqual({ ok: true, checked: 2 });
    await tamper('DELETE FROM audit_events WHERE id = $1', [ids[1]]);
    expect(await verifyChain(pool, tenantId, { fromSeq: 3n, toSeq: 4n })).toMatchObject({ ok: false, checked: 0, firstBrokenEventId: ids[2] });
    expect(await verifyChain(pool, tenantId, { fromSeq: 4n })).toEqual({ ok: true, checked: 2 });
  });
});

describe('monthly partitions', () => {
  it('the service keeps this month and the next two partitioned; a month created on demand receives its events', async () => {
    const { rows } = await pool.query<{ missing: string[] }>(
      `SELECT array_agg(name) FILTER (WHERE to_regclass(name) IS NULL) AS missing
       FROM (SELECT 'audit_events_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i), 'YYYYMM') AS name
             FROM generate_series(0, 2) AS i) AS months`,
    );
    expect(rows[0]?.missing).toBeNull();

    const month = new Date(Date.UTC(2100 + Math.floor(Math.random() * 900), Math.floor(Math.random() * 12), 1));
    const partition = `audit_events_${month.toISOString().slice(0, 7).replace('-', '')}`;
    await pool.query('SELECT audit_ensure_partitions($1, 1)', [month.toISOString()]);
    const tenantId = uuidv7();
    await produce([makeEvent(tenantId, { occurredAt: new Date(month.getTime() + 3600_000).toISOString() })]);
    await waitForLogged(tenantId, 1);
    const stored = await pool.query<{ partition: string }>('SELECT tableoid::regclass::text AS partition FROM audit_events WHERE tenant_id = $1', [tenantId]);
    expect(stored.rows).toEqual([{ partition }]);
    expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 1 });
  });
});

describe('append-only', () => {
  it('the service role may not UPDATE, DELETE or TRUNCATE the log', async () => {
    const { ids } = await loggedTenant(1);
    for (const sql of ["UPDATE audit_events SET action = 'x' WHERE id = $1", 'DELETE FROM audit_events WHERE id = $1', 'DELETE FROM audit_event_ids WHERE id = $1']) {
      await expect(pool.query(sql, [ids[0]])).rejects.toThrow(/permission denied/);
    }
    await expect(pool.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied/);
  });

  it('a seq of a tenant can be registered for one event only', async () => {
    const { tenantId } = await loggedTenant(1);
    await expect(pool.query('INSERT INTO audit_event_ids (id, tenant_id, seq) VALUES ($1, $2, 1)', [uuidv7(), tenantId])).rejects.toThrow(
      /audit_event_ids_tenant_seq/,
    );
  });

  it('the trigger refuses UPDATE, DELETE and TRUNCATE even to the owner', async () => {
    const { tenantId, ids } = await loggedTenant(1);
    await withPgClient(environment['AUDIT_DATABASE_OWNER_URL'] ?? '', async (owner) => {
      await expect(owner.query("UPDATE audit_events SET action = 'x' WHERE id = $1", [ids[0]])).rejects.toThrow(/append-only: UPDATE/);
      await expect(owner.query('DELETE FROM audit_events WHERE id = $1', [ids[0]])).rejects.toThrow(/append-only: DELETE/);
      await expect(owner.query('DELETE FROM audit_event_ids WHERE id = $1', [ids[0]])).rejects.toThrow(/append-only: DELETE/);
      await expect(owner.query('TRUNCATE audit_events')).rejects.toThrow(/append-only: TRUNCATE/);
    });
    expect(await verifyChain(pool, tenantId)).toEqual({ ok: true, checked: 1 });
  });
});
