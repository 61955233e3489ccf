import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AuditEvent } from '@bulkhead/audit';
import { loadConfig } from '@bulkhead/config';
import { AuditReviewServiceClient, AuthServiceService, type AuditReviewServiceService, type auditV1 } from '@bulkhead/contracts';
import { uuidv7 } from '@bulkhead/database';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, createGrpcServer, type GrpcClient, type GrpcServer, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createSupervisor } from '@bulkhead/service-runtime';
import { loadDevstackEnv, rejection, tamperAuditLog, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { bearerMetadata, buildJwks, createTokenIssuer, generateSigningKey, toJwksMessage, type TokenIssuer } from '@bulkhead/tokens';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { auditConfigShape, type AuditConfig } from '../audit.config';
import { startAuditServer, type AuditServer } from '../audit.server';
import { appendEvents } from '../log/log-writer';
import { readEventBatches } from './review.queries';
import { migrateDevstackDatabases } from '../testing/migrate-devstack';

jest.setTimeout(60_000);

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const run = randomBytes(4).toString('hex');
const ISSUER = 'https://auth.bulkhead.test';
const AUDIENCE = 'bulkhead';
/** The export's FETCH size in this spec: small, so a few hundred events make many batches. */
const EXPORT_BATCH = 100;

let config: AuditConfig;
let server: AuditServer;
let fakeAuth: GrpcServer;
let issuer: TokenIssuer;
let client: GrpcClient<typeof AuditReviewServiceService>;
let pool: Pool;

beforeAll(async () => {
  await migrateDevstackDatabases(environment, path.join(workspaceRoot(), 'services'));
  const key = await generateSigningKey();
  issuer = createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, keys: () => key, ttlSeconds: 300 });
  const logger = createLogger({ service: 'audit-review-int', level: 'silent' });
  fakeAuth = createGrpcServer({ logger });
  // Token verification calls GetJwks only; any other call fails loudly.
  const unimplemented = async (): Promise<never> => {
    throw new AppError({ kind: 'UNIMPLEMENTED', code: 'UNIMPLEMENTED', message: 'not faked' });
  };
  fakeAuth.addService(AuthServiceService, {
    // Every method gets a handler that throws, so their response types are moot.
    ...(Object.fromEntries(Object.keys(AuthServiceService).map((method) => [method, unimplemented])) as unknown as ServiceImplementation<typeof AuthServiceService>),
    getJwks: async () => toJwksMessage(buildJwks([key.publicJwk])),
  });
  const authPort = await fakeAuth.listen('127.0.0.1:0');

  config = loadConfig(auditConfigShape, {
    ...environment,
    GRPC_PORT: '0',
    METRICS_PORT: '0',
    MIGRATIONS_DIR: path.join(workspaceRoot(), 'services'),
    AUDIT_TOPIC: `audit.events.review-int-${run}`,
    AUDIT_DLQ_TOPIC: `audit.events.dlq.review-int-${run}`,
    AUDIT_CONSUMER_GROUP: `bulkhead-audit-review-int-${run}`,
    // Events are appended with the log writer here; the relay would drain other specs' outboxes.
    RELAY_ENABLED: 'false',
    AUTH_GRPC_ADDRESS: `127.0.0.1:${authPort}`,
    TOKEN_ISSUER: ISSUER,
    TOKEN_AUDIENCE: AUDIENCE,
    AUDIT_EXPORT_BATCH_SIZE: String(EXPORT_BATCH),
  });
  const registry = createMetricsRegistry('audit');
  server = await startAuditServer(config, { logger, registry, supervisor: createSupervisor({ logger, registry, backoff: { initialMs: 100, maxMs: 1000 } }) });
  client = createGrpcClient(AuditReviewServiceClient, `127.0.0.1:${server.port}`, { defaultDeadlineMs: 20_000 });
  pool = new Pool({ connectionString: config.AUDIT_DATABASE_URL, max: 3, application_name: `audit-review-int-${run}` });
});

afterAll(async () => {
  if (client !== undefined) closeGrpcClient(client);
  await server?.stop(1000);
  await fakeAuth?.shutdown({ timeoutMs: 1000 });
  await pool?.end();
  const kafka = new Kafka({ clientId: `audit-review-int-${run}`, brokers: devstack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [config.AUDIT_TOPIC, config.AUDIT_DLQ_TOPIC] }).finally(() => admin.disconnect());
});

async function as(tenantId: string, role: string) {
  const { token } = await issuer.issueAccessToken({ sub: randomUUID(), tid: tenantId, role, sid: randomUUID(), scope: [], principalType: 'user' });
  return { metadata: bearerMetadata(token) };
}

const T0 = Date.parse('2026-11-01T10:00:00.000Z');

function makeEvent(tenantId: string, index: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: uuidv7(),
    tenantId,
    occurredAt: new Date(T0 + index * 1000).toISOString(),
    actor: { type: 'user', id: index % 3 === 0 ? 'alice' : 'bob' },
    action: index % 2 === 0 ? 'project.created' : 'project.updated',
    resource: { type: 'project', id: `p-${index % 4}` },
    outcome: index % 5 === 4 ? 'denied' : 'success',
    requestId: `req-${index}`,
    changes: { after: { name: `Apollo, "${index}"\nline two` } },
    metadata: { index },
    ...overrides,
  };
}

/** A new tenant with `count` events appended through the log writer, in chain (and time) order. */
async function loggedTenant(count: number): Promise<{ tenantId: string; events: AuditEvent[] }> {
  const tenantId = uuidv7();
  const events = Array.from({ length: count }, (_, index) => makeEvent(tenantId, index));
  await appendEvents(pool, events);
  return { tenantId, events };
}

const idsOf = (items: readonly { id: string }[]): string[] => items.map((item) => item.id);
const newestFirst = (events: readonly AuditEvent[]): string[] => idsOf([...events].reverse());

async function listAll(tenantId: string, filter: Partial<auditV1.EventFilter>, pageSize: number): Promise<{ ids: string[]; pages: number }> {
  const call = await as(tenantId, 'auditor');
  const ids: string[] = [];
  let cursor = '';
  let pages = 0;
  do {
    const answer = await client.listEvents({ tenantId: '', filter: emptyFilter(filter), page: { pageSize, cursor } }, call);
    ids.push(...idsOf(answer.items));
    cursor = answer.page?.nextCursor ?? '';
    pages += 1;
  } while (cursor !== '');
  return { ids, pages };
}

function emptyFilter(filter: Partial<auditV1.EventFilter> = {}): auditV1.EventFilter {
  return { actorId: '', action: '', resourceType: '', resourceId: '', outcome: '', from: '', to: '', ...filter };
}

async function exportText(tenantId: string, format: string, filter: Partial<auditV1.EventFilter> = {}, role = 'owner'): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of client.exportEvents({ tenantId: '', filter: emptyFilter(filter), format }, await as(tenantId, role))) {
    chunks.push(Buffer.from(chunk.data).toString('utf8'));
  }
  return chunks;
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let chunks = 0;
  for await (const _chunk of stream) chunks += 1;
  return chunks;
}

const VERIFY_ALL = { tenantId: '', from: '', to: '', fromSequence: 0, toSequence: 0 };

describe('listing a tenant’s events', () => {
  it('newest first, keyset-paginated, and only the tenant’s own', async () => {
    const a = await loggedTenant(12);
    await loggedTenant(5);
    expect(await listAll(a.tenantId, {}, 5)).toEqual({ ids: newestFirst(a.events), pages: 3 });
    const { items } = await client.listEvents({ tenantId: '', page: { pageSize: 0, cursor: '' } }, await as(a.tenantId, 'owner'));
    expect(items[0]).toMatchObject({ sequence: 12, tenantId: a.tenantId, actor: { type: 'user', id: 'bob' }, metadataJson: '{"index":11}' });
  });

  it('filters by actor, action, resource, outcome and time range, each with its pages', async () => {
    const a = await loggedTenant(20);
    const expect_ = (keep: (event: AuditEvent, index: number) => boolean) => newestFirst(a.events.filter(keep));
    expect((await listAll(a.tenantId, { actorId: 'alice' }, 3)).ids).toEqual(expect_((e) => e.actor.id === 'alice'));
    expect((await listAll(a.tenantId, { action: 'project.updated' }, 4)).ids).toEqual(expect_((e) => e.action === 'project.updated'));
    expect((await listAll(a.tenantId, { resourceType: 'project', resourceId: 'p-1' }, 2)).ids).toEqual(expect_((e) => e.resource.id === 'p-1'));
    expect((await listAll(a.tenantId, { outcome: 'denied' }, 2)).ids).toEqual(expect_((e) => e.outcome === 'denied'));
    const from = new Date(T0 + 5000).toISOString();
    const to = new Date(T0 + 9000).toISOString();
    expect((await listAll(a.tenantId, { from, to }, 2)).ids).toEqual(expect_((_, index) => index >= 5 && index < 9));
    expect((await listAll(a.tenantId, { from, to, actorId: 'bob', outcome: 'success' }, 50)).ids).toEqual(
      expect_((e, index) => index >= 5 && index < 9 && e.actor.id === 'bob' && e.outcome === 'success'),
    );
  });

  it('bad input is INVALID_ARGUMENT naming the field', async () => {
    const call = await as(uuidv7(), 'owner');
    const list = (filter: Partial<auditV1.EventFilter>, cursor = '') => client.listEvents({ tenantId: '', filter: emptyFilter(filter), page: { pageSize: 10, cursor } }, call);
    const fieldsOf = async (promise: Promise<unknown>) => {
      const err = await rejection(promise);
      expect(err.kind).toBe('INVALID_ARGUMENT');
      return err.fieldViolations.map((violation) => violation.field);
    };
    expect(await fieldsOf(list({ from: 'yesterday' }))).toEqual(['filter.from']);
    expect(await fieldsOf(list({ to: '2026-13-01T00:00:00Z' }))).toEqual(['filter.to']);
    expect(await fieldsOf(list({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }))).toEqual(['filter.from']);
    expect(await fieldsOf(list({ outcome: 'maybe' }))).toEqual(['filter.outcome']);
    expect(await fieldsOf(list({}, 'not-a-cursor'))).toEqual(['page.cursor']);
    expect(await fieldsOf(list({}, Buffer.from(JSON.stringify(['v1', 'x|1'])).toString('base64url')))).toEqual(['page.cursor']);
    expect(await fieldsOf(client.getEvent({ tenantId: '', id: 'nope' }, call))).toEqual(['id']);
    expect(await fieldsOf(exportText(uuidv7(), 'xml'))).toEqual(['format']);
    expect(await fieldsOf(client.verifyChain({ ...VERIFY_ALL, fromSequence: 5, toSequence: 2 }, call))).toEqual(['fromSequence']);
  });
});

describe('who may review', () => {
  it('owners, admins and auditors of the org; members and viewers are PERMISSION_DENIED', async () => {
    const a = await loggedTenant(2);
    for (const role of ['owner', 'admin', 'auditor']) {
      expect(idsOf((await client.listEvents({ tenantId: '' }, await as(a.tenantId, role))).items)).toEqual(newestFirst(a.events));
    }
    for (const role of ['member', 'viewer']) {
      const call = await as(a.tenantId, role);
      expect(await rejection(client.listEvents({ tenantId: '' }, call))).toMatchObject({ kind: 'PERMISSION_DENIED' });
      expect(await rejection(client.getEvent({ tenantId: '', id: a.events[0]?.id ?? '' }, call))).toMatchObject({ kind: 'PERMISSION_DENIED' });
      expect(await rejection(exportText(a.tenantId, 'ndjson', {}, role))).toMatchObject({ kind: 'PERMISSION_DENIED' });
      expect(await rejection(client.verifyChain(VERIFY_ALL, call))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    }
  });

  it('another tenant’s event id, or naming another tenant, is NOT_FOUND; A is unchanged', async () => {
    const a = await loggedTenant(3);
    const b = await loggedTenant(2);
    const target = a.events[1]?.id ?? '';
    const bOwner = await as(b.tenantId, 'owner');
    expect(await rejection(client.getEvent({ tenantId: '', id: target }, bOwner))).toMatchObject({ kind: 'NOT_FOUND', code: 'AUDIT_EVENT_NOT_FOUND' });
    expect(await rejection(client.getEvent({ tenantId: a.tenantId, id: target }, bOwner))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await rejection(client.listEvents({ tenantId: a.tenantId }, bOwner))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await rejection(client.verifyChain({ ...VERIFY_ALL, tenantId: a.tenantId }, bOwner))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await rejection(drain(client.exportEvents({ tenantId: a.tenantId, format: 'ndjson' }, bOwner)))).toMatchObject({ kind: 'NOT_FOUND' });
    // B's own list, export and verify hold B's events only; A's log is untouched.
    expect(idsOf((await client.listEvents({ tenantId: '' }, bOwner)).items)).toEqual(newestFirst(b.events));
    expect((await exportText(b.tenantId, 'ndjson')).join('').trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(newestFirst(b.events));
    expect(await client.verifyChain(VERIFY_ALL, bOwner)).toEqual({ ok: true, checked: 2, firstBrokenEventId: '', reason: '' });
    expect(idsOf((await client.listEvents({ tenantId: '' }, await as(a.tenantId, 'owner'))).items)).toEqual(newestFirst(a.events));
  });
});

describe('one event', () => {
  it('comes with its sequence, hash and previous hash, as stored', async () => {
    const a = await loggedTenant(3);
    const second = a.events[1] as AuditEvent;
    const { event } = await client.getEvent({ tenantId: '', id: second.id }, await as(a.tenantId, 'auditor'));
    const { rows } = await pool.query<{ hash: string; prev_hash: string }>('SELECT hash, prev_hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq', [a.tenantId]);
    expect(event).toMatchObject({
      id: second.id,
      tenantId: a.tenantId,
      occurredAt: second.occurredAt,
      sequence: 2,
      hash: rows[1]?.hash,
      prevHash: rows[0]?.hash,
      action: second.action,
      resource: { type: 'project', id: 'p-1' },
      outcome: 'success',
      requestId: 'req-1',
      traceId: '',
      changesJson: JSON.stringify(second.changes),
      metadataJson: '{"index":1}',
    });
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
  });
});

describe('exporting', () => {
  it('NDJSON: every event of the filter, newest first, one per line with its chain position', async () => {
    const a = await loggedTenant(6);
    const lines = (await exportText(a.tenantId, 'ndjson', { outcome: 'success' })).join('').split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((line) => JSON.parse(line) as AuditEvent & { sequence: number; hash: string; prevHash: string });
    expect(idsOf(records)).toEqual(newestFirst(a.events.filter((e) => e.outcome === 'success')));
    const latest = a.events[5] as AuditEvent;
    expect(records[0]).toMatchObject({ ...latest, sequence: 6, hash: expect.stringMatching(/^[0-9a-f]{64}$/), prevHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('CSV: a header, then one RFC 4180 record per event (fields with quotes or commas quoted)', async () => {
    const a = await loggedTenant(3);
    const text = (await exportText(a.tenantId, 'csv')).join('');
    const [header, ...rest] = text.split('\r\n');
    expect(header).toBe('id,tenantId,sequence,occurredAt,recordedAt,actorType,actorId,action,resourceType,resourceId,outcome,requestId,traceId,ip,userAgent,changes,metadata,prevHash,hash');
    expect(rest.pop()).toBe('');
    expect(rest).toHaveLength(3);
    const newest = a.events[2] as AuditEvent;
    expect(rest[0]).toMatch(new RegExp(`^${newest.id},${a.tenantId},3,${newest.occurredAt},`));
    const quoted = (text: string): string => `"${text.replaceAll('"', '""')}"`;
    expect(rest[0]).toContain(`,${quoted(JSON.stringify(newest.changes))},${quoted('{"index":2}')},`);
  });

  it('streams from a database cursor: one FETCH batch per chunk, the transaction open between them', async () => {
    const count = 3 * EXPORT_BATCH + 7;
    const a = await loggedTenant(count);
    const chunks = await exportText(a.tenantId, 'ndjson');
    expect(chunks.map((chunk) => chunk.split('\n').length - 1)).toEqual([EXPORT_BATCH, EXPORT_BATCH, EXPORT_BATCH, 7]);

    // The same read, pulled batch by batch: after the first batch the connection sits in its
    // transaction with the cursor's FETCH as its last statement; nothing more was read.
    const batches = readEventBatches(pool, a.tenantId, {}, EXPORT_BATCH);
    const first = await batches.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(EXPORT_BATCH);
    const activity = async () =>
      (
        await pool.query<{ state: string; query: string }>(
          `SELECT state, query FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() AND query LIKE 'FETCH%'`,
          [`audit-review-int-${run}`],
        )
      ).rows;
    expect(await activity()).toEqual([{ state: 'idle in transaction', query: `FETCH ${EXPORT_BATCH} FROM audit_export` }]);
    let rest = 0;
    let batchesRead = 1;
    for await (const batch of { [Symbol.asyncIterator]: () => batches }) {
      expect(batch.length).toBeLessThanOrEqual(EXPORT_BATCH);
      rest += batch.length;
      batchesRead += 1;
    }
    expect([batchesRead, EXPORT_BATCH + rest]).toEqual([4, count]);
    expect((await activity()).map((row) => row.state)).not.toContain('idle in transaction');
  });

  it('a reviewer who stops reading closes the cursor and frees the connection', async () => {
    const a = await loggedTenant(2 * EXPORT_BATCH + 1);
    const batches = readEventBatches(pool, a.tenantId, {}, EXPORT_BATCH);
    await batches.next();
    await batches.return();
    const { rows } = await pool.query<{ state: string }>(`SELECT state FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [
      `audit-review-int-${run}`,
    ]);
    expect(rows.map((row) => row.state)).not.toContain('idle in transaction');
  });
});

describe('verifying', () => {
  it('ok over the whole chain, a time range or a sequence range', async () => {
    const a = await loggedTenant(10);
    const call = await as(a.tenantId, 'admin');
    expect(await client.verifyChain(VERIFY_ALL, call)).toEqual({ ok: true, checked: 10, firstBrokenEventId: '', reason: '' });
    const range = { from: new Date(T0 + 2000).toISOString(), to: new Date(T0 + 6000).toISOString() };
    expect(await client.verifyChain({ ...VERIFY_ALL, ...range }, call)).toMatchObject({ ok: true, checked: 4 });
    expect(await client.verifyChain({ ...VERIFY_ALL, fromSequence: 3, toSequence: 5 }, call)).toMatchObject({ ok: true, checked: 3 });
  });

  it('reports the event a superuser altered or deleted', async () => {
    const a = await loggedTenant(5);
    const call = await as(a.tenantId, 'auditor');
    const altered = a.events[2] as AuditEvent;
    await tamperAuditLog(`UPDATE audit_events SET event = jsonb_set(event, '{outcome}', '"denied"'), outcome = 'denied' WHERE id = $1`, [altered.id], devstack);
    expect(await client.verifyChain(VERIFY_ALL, call)).toEqual({ ok: false, checked: 2, firstBrokenEventId: altered.id, reason: 'hash does not match the stored event' });

    const b = await loggedTenant(4);
    const deleted = b.events[1] as AuditEvent;
    await tamperAuditLog('DELETE FROM audit_events WHERE id = $1', [deleted.id], devstack);
    expect(await client.verifyChain(VERIFY_ALL, await as(b.tenantId, 'owner'))).toEqual({ ok: false, checked: 1, firstBrokenEventId: deleted.id, reason: 'event seq 2 is missing' });
  });
});
