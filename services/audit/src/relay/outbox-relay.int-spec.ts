import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { auditEnvelopeSchema, recordAuditEvent, recordIdentityAuditEvent, type AuditEvent, type AuditEventInput } from '@bulkhead/audit';
import { loadConfig } from '@bulkhead/config';
import { openTenantDatabase, withTransaction, type OpenedTenantDatabase } from '@bulkhead/database';
import { createLogger } from '@bulkhead/observability';
import { eventually, loadDevstackEnv, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { createSupervisor, type Supervisor } from '@bulkhead/service-runtime';
import { auditConfigShape, type AuditConfig } from '../audit.config';
import { startOutboxRelay, type OutboxRelay } from './outbox-relay';
import { IDENTITY_SOURCE, outboxSources } from './outbox-sources';
import { migrateDevstackDatabases } from '../testing/migrate-devstack';

jest.setTimeout(90_000);

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const run = randomBytes(4).toString('hex');
const servicesDir = path.join(workspaceRoot(), 'services');
const kafka = new Kafka({ clientId: `relay-int-${run}`, brokers: devstack.kafkaBrokers, logLevel: logLevel.NOTHING });
const logger = createLogger({ service: 'relay-int', level: 'silent' });

interface Received {
  key: string;
  eventId: string;
  event: AuditEvent;
}

let config: AuditConfig;
let database: OpenedTenantDatabase;
let identity: Pool;
let consumer: Consumer;
const received: Received[] = [];
const malformed: string[] = [];
const relays: { relay: OutboxRelay; supervisor: Supervisor }[] = [];

beforeAll(async () => {
  await migrateDevstackDatabases(environment, servicesDir);
  config = loadConfig(auditConfigShape, {
    ...environment,
    AUDIT_TOPIC: `audit.events.relay-int-${run}`,
    RELAY_POLL_INTERVAL_MS: '50',
    // The relay alone runs here: no reviewer API, no JWKS.
    AUTH_GRPC_ADDRESS: '127.0.0.1:1',
  });
  database = await openTenantDatabase({
    shards: config.SHARD_MAP,
    maxPerServer: 4,
    placementDatabaseUrl: environment['PLACEMENT_DATABASE_URL'] ?? '',
    placementCacheTtlMs: 60_000,
    migrationsDir: path.join(servicesDir, 'audit', 'migrations', 'shards'),
    scope: 'audit',
  });
  identity = new Pool({ connectionString: config.IDENTITY_DATABASE_URL, max: 2 });

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: config.AUDIT_TOPIC, numPartitions: 6, replicationFactor: 1 }] }).finally(() => admin.disconnect());
  consumer = kafka.consumer({ groupId: `relay-int-${run}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.AUDIT_TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const parsed = auditEnvelopeSchema.safeParse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
      if (!parsed.success) return void malformed.push(message.value?.toString('utf8') ?? '');
      received.push({ key: message.key?.toString('utf8') ?? '', eventId: message.headers?.['event-id']?.toString() ?? '', event: parsed.data.event });
    },
  });
});

afterEach(async () => {
  await stopRelays();
});

afterAll(async () => {
  await consumer?.disconnect();
  await database?.close();
  await identity?.end();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [config.AUDIT_TOPIC] }).finally(() => admin.disconnect());
});

/** Stops the loops, then what they use, as the audit service does. */
async function stopRelays(): Promise<void> {
  await Promise.all(
    relays.splice(0).map(async ({ relay, supervisor }) => {
      await supervisor.stop();
      await relay.stop();
    }),
  );
}

/** Starts a relay (by default over every devstack outbox (shards and identity)) producing to this run's topic. */
function startRelay(brokers: readonly string[] = config.KAFKA_BROKERS, registry = new Registry(), sources = outboxSources(config)): OutboxRelay {
  const supervisor = createSupervisor({ logger, registry, backoff: { initialMs: 100, maxMs: 1000 } });
  const relay = startOutboxRelay({
    sources,
    brokers,
    clientId: `relay-int-${run}`,
    topic: config.AUDIT_TOPIC,
    batchSize: 50,
    pollIntervalMs: config.RELAY_POLL_INTERVAL_MS,
    logger,
    registry,
    supervisor,
  });
  relays.push({ relay, supervisor });
  return relay;
}

const input = (action: AuditEventInput['action'] = 'project.created'): AuditEventInput => ({
  actor: { type: 'user', id: randomUUID() },
  action,
  resource: { type: 'project', id: randomUUID() },
  outcome: 'success',
  requestId: `req-${run}`,
  changes: { after: { name: 'Apollo', token: 'never-relayed' } },
  metadata: { run },
});

/** `count` new tenants whose shards cover every devstack shard that `count` allows. */
async function tenantsAcrossShards(count: number): Promise<{ tenantId: string; shardId: string }[]> {
  const byShard = new Map<string, string[]>();
  while ([...byShard.values()].reduce((n, ids) => n + ids.length, 0) < count) {
    const tenantId = randomUUID();
    const shardId = (await database.router.shardFor(tenantId)).id;
    const ids = byShard.get(shardId) ?? [];
    // Fill the shards evenly: a shard takes a second tenant only once every shard has one.
    if (ids.length > Math.min(...config.SHARD_MAP.map((shard) => byShard.get(shard.id)?.length ?? 0))) continue;
    byShard.set(shardId, [...ids, tenantId]);
  }
  return [...byShard.entries()].flatMap(([shardId, ids]) => ids.map((tenantId) => ({ tenantId, shardId })));
}

async function recordFor(tenantId: string, action?: AuditEventInput['action']): Promise<AuditEvent> {
  return database.withTenant({ tenantId }, (tx) => recordAuditEvent(tx, input(action)));
}

/** The outbox rows of `tenantIds` still waiting, read the way the relay reads them. */
async function waiting(tenantIds: readonly string[]): Promise<number> {
  let total = 0;
  for (const source of outboxSources(config)) {
    const pool = new Pool({ connectionString: source.url, max: 1 });
    try {
      total += await withTransaction(pool, async (client) => {
        await client.query("SET LOCAL app.audit_relay = 'on'");
        const { rows } = await client.query<{ count: string }>('SELECT count(*) AS count FROM audit_outbox WHERE tenant_id = ANY($1::uuid[])', [tenantIds]);
        return Number(rows[0]?.count ?? 0);
      });
    } finally {
      await pool.end();
    }
  }
  return total;
}

/** Records `count` events of `tenantId` in one transaction, in order. */
async function recordMany(tenantId: string, count: number, event: AuditEventInput = input()): Promise<AuditEvent[]> {
  return database.withTenant({ tenantId }, (tx) => Promise.all(Array.from({ length: count }, () => recordAuditEvent(tx, event))));
}

const receivedOf = (ids: readonly string[]): Received[] => received.filter((message) => ids.includes(message.event.id));

/** Waits until every one of `events` was received, then checks each arrived exactly once, keyed by its tenant. */
async function expectRelayedOnce(events: readonly AuditEvent[]): Promise<void> {
  const ids = events.map((event) => event.id);
  await eventually(async () => expect(new Set(receivedOf(ids).map((message) => message.event.id)).size).toBe(ids.length), 30_000);
  // Give a duplicate a moment to show up behind the originals.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const messages = receivedOf(ids);
  expect(messages).toHaveLength(ids.length);
  for (const event of events) {
    const message = messages.find((candidate) => candidate.event.id === event.id);
    expect(message).toMatchObject({ key: event.tenantId, eventId: event.id });
    expect(message?.event).toEqual(event);
  }
  expect(malformed).toEqual([]);
}

/** {@link expectRelayedOnce}, and in the order of `events`. */
async function expectRelayedInOrder(events: readonly AuditEvent[]): Promise<void> {
  await expectRelayedOnce(events);
  const ids = events.map((event) => event.id);
  expect(receivedOf(ids).map((message) => message.event.id)).toEqual(ids);
}

describe('the outbox relay', () => {
  it('relays events recorded on every shard and in the identity database exactly once, keyed by tenant, as valid envelopes', async () => {
    const tenants = await tenantsAcrossShards(config.SHARD_MAP.length * 2);
    expect(new Set(tenants.map((tenant) => tenant.shardId)).size).toBe(config.SHARD_MAP.length);
    const events: AuditEvent[] = [];
    for (const { tenantId } of tenants) {
      events.push(await recordFor(tenantId), await recordFor(tenantId, 'project.updated'));
    }
    const orgId = randomUUID();
    events.push(await withTransaction(identity, (client) => recordIdentityAuditEvent(client, { ...input('auth.login_succeeded'), tenantId: orgId })));
    expect(events.every((event) => event.changes?.after !== undefined && (event.changes.after as { token?: string }).token === '[REDACTED]')).toBe(true);

    startRelay();
    await expectRelayedOnce(events);
    await eventually(async () => expect(await waiting([...tenants.map((tenant) => tenant.tenantId), orgId])).toBe(0), 10_000);
  });

  it('relays a backlog several batches deep in the order it was recorded', async () => {
    const [tenant] = await tenantsAcrossShards(1);
    const tenantId = tenant?.tenantId ?? '';
    // Three transactions of 60 events (batches are 50): claims cross transaction boundaries.
    const events: AuditEvent[] = [];
    for (let transaction = 0; transaction < 3; transaction++) events.push(...(await recordMany(tenantId, 60)));

    startRelay();
    await expectRelayedInOrder(events);
  });

  it('relays a batch larger than the broker takes in one request (the broker refuses over 1 MiB per partition)', async () => {
    const [tenant] = await tenantsAcrossShards(1);
    // 40 events of ~60 KB, one tenant so one partition: ~2.4 MB in one claim of 50.
    const events = await recordMany(tenant?.tenantId ?? '', 40, { ...input('workflow.updated'), changes: { after: { definition: 'x'.repeat(60_000) } } });

    startRelay();
    await expectRelayedInOrder(events);
  });

  it('relays nothing of a transaction that rolled back', async () => {
    const [tenant] = await tenantsAcrossShards(1);
    const tenantId = tenant?.tenantId ?? '';
    let rolledBack: AuditEvent | undefined;
    await expect(
      database.withTenant({ tenantId }, async (tx) => {
        rolledBack = await recordAuditEvent(tx, input());
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await waiting([tenantId])).toBe(0);

    const marker = await recordFor(tenantId);
    startRelay();
    await expectRelayedOnce([marker]);
    expect(receivedOf([rolledBack?.id ?? ''])).toEqual([]);
  });

  it('lets tenant work insert only its own events and read or delete none, even with the relay setting', async () => {
    const [a, b] = await tenantsAcrossShards(2);
    const tenantA = a?.tenantId ?? '';
    const tenantB = b?.tenantId ?? '';
    await recordFor(tenantA);
    for (const statement of ['SELECT * FROM audit_outbox', 'DELETE FROM audit_outbox']) {
      await expect(
        database.withTenant({ tenantId: tenantA }, async (tx) => {
          await tx.query("SET LOCAL app.audit_relay = 'on'");
          await tx.query(statement);
        }),
      ).rejects.toThrow(/permission denied/);
    }
    await expect(
      database.withTenant({ tenantId: tenantB }, (tx) =>
        tx.query('INSERT INTO audit_outbox (tenant_id, id, payload) VALUES ($1, $2, $3)', [tenantA, randomUUID(), '{}']),
      ),
    ).rejects.toThrow(/row-level security/);
    // The service role outside any tenant may neither read nor delete the queue, even with the
    // relay setting: only the relay's role can (a service could otherwise erase its audit trail).
    const serviceUrl = config.SHARD_MAP.find((shard) => shard.id === a?.shardId)?.url ?? '';
    const pool = new Pool({ connectionString: serviceUrl, max: 1, options: '-c app.audit_relay=on' });
    try {
      await expect(pool.query('SELECT 1 FROM audit_outbox LIMIT 1')).rejects.toThrow(/permission denied/);
      await expect(pool.query('DELETE FROM audit_outbox')).rejects.toThrow(/permission denied/);
    } finally {
      await pool.end();
    }
    expect(await waiting([tenantA])).toBe(1);
    startRelay();
    await eventually(async () => expect(await waiting([tenantA])).toBe(0), 30_000);
  });

  it('keeps relaying the other shards while one outbox database cannot be reached', async () => {
    const registry = new Registry();
    startRelay(config.KAFKA_BROKERS, registry, [{ id: 'shard-down', url: 'postgres://bulkhead_app:x@127.0.0.1:1/none' }, ...outboxSources(config)]);
    const tenants = await tenantsAcrossShards(config.SHARD_MAP.length);
    const events: AuditEvent[] = [];
    for (const { tenantId } of tenants) events.push(await recordFor(tenantId));
    await expectRelayedOnce(events);
    const failures = (await registry.getSingleMetric('bulkhead_audit_relay_failures_total')?.get())?.values ?? [];
    expect(failures.map((value) => value.labels['source'])).toEqual(['shard-down']);
  });

  it('keeps user writes succeeding while Kafka cannot be reached, backs off, then drains every event exactly once', async () => {
    const registry = new Registry();
    // A broker address that refuses connections: Kafka is down for this relay.
    startRelay(['127.0.0.1:1'], registry);
    const tenants = await tenantsAcrossShards(config.SHARD_MAP.length * 3);
    const events: AuditEvent[] = [];
    for (const { tenantId } of tenants) events.push(await recordFor(tenantId));
    const orgId = randomUUID();
    events.push(await withTransaction(identity, (client) => recordIdentityAuditEvent(client, { ...input('auth.login_failed'), tenantId: orgId })));
    const tenantIds = [...tenants.map((tenant) => tenant.tenantId), orgId];

    await eventually(async () => {
      const failures = (await registry.getSingleMetric('bulkhead_audit_relay_failures_total')?.get())?.values ?? [];
      expect(failures.map((value) => value.labels['source']).sort()).toEqual([...config.SHARD_MAP.map((shard) => shard.id), IDENTITY_SOURCE].sort());
    }, 30_000);
    expect(await waiting(tenantIds)).toBe(events.length);
    expect(receivedOf(events.map((event) => event.id))).toEqual([]);

    await stopRelays();
    expect(await waiting(tenantIds)).toBe(events.length);

    startRelay();
    await expectRelayedOnce(events);
    await eventually(async () => expect(await waiting(tenantIds)).toBe(0), 10_000);
  });
});
