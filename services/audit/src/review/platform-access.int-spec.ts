import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AuditEvent } from '@bulkhead/audit';
import { uuidv7 } from '@bulkhead/database';
import { loadDevstackEnv, rejection, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import type { Principal } from '@bulkhead/tokens';
import { Pool } from 'pg';
import { appendEvents } from '../log/log-writer';
import { migrateDevstackDatabases } from '../testing/migrate-devstack';
import { createPlatformAccess } from './platform-access';
import { createAuditReviewService, type ReviewScope } from './review.service';

// The platform compliance role over the real compliance log: it reviews any tenant's log, and
// every one of its reads is appended to THAT tenant's chain before the answer.
jest.setTimeout(30_000);

const environment = toServiceEnvironment(loadDevstackEnv());
const url = environment['AUDIT_DATABASE_URL'] ?? '';
let pool: Pool;
/** The service role's connection, but every transaction read-only: reads work, recording fails. */
let readOnly: Pool;

beforeAll(async () => {
  await migrateDevstackDatabases(environment, path.join(workspaceRoot(), 'services'));
  pool = new Pool({ connectionString: url, max: 3 });
  readOnly = new Pool({ connectionString: url, max: 1, options: '-c default_transaction_read_only=on' });
});
afterAll(async () => {
  await pool?.end();
  await readOnly?.end();
});

const review = () => createAuditReviewService({ pool, exportBatchSize: 50, platform: createPlatformAccess({ pool }) });

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    type: 'user',
    subject: randomUUID(),
    tenantId: uuidv7(),
    role: 'member',
    sessionId: randomUUID(),
    scopes: [],
    tokenId: randomUUID(),
    expiresAt: new Date(Date.now() + 60_000),
    ...overrides,
  };
}

const officer = (): Principal => principal({ platformRoles: ['compliance'] });
const origin = { requestId: 'req-platform-1', ip: '203.0.113.9', userAgent: 'audit-cli/1' };

async function loggedTenant(count: number): Promise<{ tenantId: string; events: AuditEvent[] }> {
  const tenantId = uuidv7();
  const events: AuditEvent[] = Array.from({ length: count }, (_, index) => ({
    id: uuidv7(),
    tenantId,
    occurredAt: new Date(Date.UTC(2026, 10, 2, 10, 0, index)).toISOString(),
    actor: { type: 'user', id: 'alice' },
    action: 'project.created',
    resource: { type: 'project', id: `p-${index}` },
    outcome: 'success',
  }));
  await appendEvents(pool, events);
  return { tenantId, events };
}

async function platformEvents(tenantId: string) {
  const { rows } = await pool.query<{ event: AuditEvent }>(
    "SELECT event FROM audit_events WHERE tenant_id = $1 AND action LIKE 'audit.platform_%' ORDER BY seq",
    [tenantId],
  );
  return rows.map((row) => row.event);
}

async function collect(chunks: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe('platform compliance access', () => {
  it('lists, gets, exports and verifies another tenant, recording each read in that tenant log first', async () => {
    const a = await loggedTenant(5);
    const me = officer();
    const scope: ReviewScope = { principal: me, requestedTenantId: a.tenantId, origin };

    const page = await review().list(scope, { action: 'project.created' }, { limit: 50, after: undefined });
    expect(page.items.map((item) => item.event.id).sort()).toEqual(a.events.map((event) => event.id).sort());
    const [queried] = await platformEvents(a.tenantId);
    expect(queried).toMatchObject({
      tenantId: a.tenantId,
      actor: { type: 'platform', id: me.subject },
      action: 'audit.platform_queried',
      resource: { type: 'audit_log', id: a.tenantId },
      outcome: 'success',
      requestId: 'req-platform-1',
      ip: '203.0.113.9',
      userAgent: 'audit-cli/1',
      metadata: { rpc: 'ListEvents', filter: { action: 'project.created' }, callerTenantId: me.tenantId },
    });

    await expect(review().get(scope, a.events[0]?.id ?? '')).resolves.toMatchObject({ event: { id: a.events[0]?.id } });

    const exported = review().export(scope, {}, 'ndjson');
    const first = await exported.next();
    // Recorded before the first byte of the file is handed out.
    expect((await platformEvents(a.tenantId)).map((event) => event.action)).toEqual(['audit.platform_queried', 'audit.platform_queried', 'audit.platform_exported']);
    const text = (first.done === true ? '' : first.value) + (await collect(exported));
    const exportedIds = text.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
    expect(exportedIds).toEqual(expect.arrayContaining(a.events.map((event) => event.id)));
    expect(text).not.toContain('"tenantId":"' + me.tenantId);

    const verified = await review().verify(scope, {});
    expect(verified).toMatchObject({ ok: true });
    const recorded = await platformEvents(a.tenantId);
    expect(recorded.map((event) => event.metadata?.['rpc'])).toEqual(['ListEvents', 'GetEvent', 'ExportEvents', 'VerifyChain']);
    expect(recorded[2]).toMatchObject({ action: 'audit.platform_exported', metadata: { format: 'ndjson' } });
    // The platform reads are links of the chain like any other event: it still verifies.
    expect(await review().verify({ principal: principal({ tenantId: a.tenantId, role: 'auditor' }), requestedTenantId: '' }, {})).toMatchObject({ ok: true, checked: 9 });
  });

  it('answers a caller without the platform role naming another tenant NOT_FOUND, and records nothing there', async () => {
    const a = await loggedTenant(2);
    for (const caller of [principal({ role: 'owner' }), principal({ role: 'auditor', platformRoles: [] })]) {
      const scope = { principal: caller, requestedTenantId: a.tenantId };
      expect(await rejection(review().list(scope, {}, { limit: 50, after: undefined }))).toMatchObject({ kind: 'NOT_FOUND' });
      expect(await rejection(review().get(scope, a.events[0]?.id ?? ''))).toMatchObject({ kind: 'NOT_FOUND' });
      expect(await rejection(collect(review().export(scope, {}, 'csv')))).toMatchObject({ kind: 'NOT_FOUND' });
      expect(await rejection(review().verify(scope, {}))).toMatchObject({ kind: 'NOT_FOUND' });
    }
    expect(await platformEvents(a.tenantId)).toEqual([]);
  });

  it('wants a UUID tenantId, and a tenant that has a log', async () => {
    const scope = { principal: officer(), requestedTenantId: 'acme' };
    expect(await rejection(review().list(scope, {}, { limit: 50, after: undefined }))).toMatchObject({
      kind: 'INVALID_ARGUMENT',
      fieldViolations: [{ field: 'tenantId', description: 'must be a UUID' }],
    });
    const nowhere = uuidv7();
    expect(await rejection(review().verify({ principal: officer(), requestedTenantId: nowhere }, {}))).toMatchObject({ kind: 'NOT_FOUND' });
    expect((await pool.query('SELECT 1 FROM audit_chain_heads WHERE tenant_id = $1', [nowhere])).rows).toEqual([]);
  });

  it('refuses the read (UNAVAILABLE) when it cannot be recorded, and answers nothing', async () => {
    const a = await loggedTenant(3);
    const blind = createAuditReviewService({ pool: readOnly, exportBatchSize: 50, platform: createPlatformAccess({ pool: readOnly }) });
    const scope = { principal: officer(), requestedTenantId: a.tenantId };
    expect(await rejection(blind.list(scope, {}, { limit: 50, after: undefined }))).toMatchObject({ kind: 'UNAVAILABLE', code: 'PLATFORM_READ_NOT_RECORDED' });
    const exported = blind.export(scope, {}, 'ndjson');
    expect(await rejection(exported.next())).toMatchObject({ kind: 'UNAVAILABLE' });
    expect(await platformEvents(a.tenantId)).toEqual([]);
    // The same pool still reads: only the recording failed.
    await expect(blind.list({ principal: principal({ tenantId: a.tenantId, role: 'owner' }), requestedTenantId: '' }, {}, { limit: 50, after: undefined })).resolves.toMatchObject({
      items: expect.any(Array),
    });
  });

  it('lets an officer naming no tenant review only their own org, by their org role', async () => {
    const a = await loggedTenant(1);
    const me = principal({ tenantId: a.tenantId, role: 'member', platformRoles: ['compliance'] });
    expect(await rejection(review().list({ principal: me, requestedTenantId: '' }, {}, { limit: 50, after: undefined }))).toMatchObject({ kind: 'PERMISSION_DENIED' });
    expect(await platformEvents(a.tenantId)).toEqual([]);
  });
});
