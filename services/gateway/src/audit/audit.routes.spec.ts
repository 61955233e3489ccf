import { AppError } from '@bulkhead/errors';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import type { HttpApp } from '../http/http-app';
import { AUDIT_EVENT_ID, MISSING_AUDIT_EVENT_ID, startFakeAuditService, type FakeAuditService } from '../testing/fake-audit-service';
import { startFakeAuthService, type FakeAuthService } from '../testing/fake-auth-service';
import { createUpstreamClients, type UpstreamClients } from '../testing/gateway.fixture';
import { createTestTokens, TENANT_ID, TEST_USER, USER_ID } from '../testing/test-tokens';
import { createAuditUpstream } from '../upstream/audit.upstream';

describe('audit routes', () => {
  let app: HttpApp;
  let withoutAudit: HttpApp;
  let auth: FakeAuthService;
  let audit: FakeAuditService;
  let upstreams: UpstreamClients;
  let auditUpstream: ReturnType<typeof createAuditUpstream>;
  let headers: Record<string, string>;

  beforeAll(async () => {
    const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
    const tokens = await createTestTokens();
    [auth, audit] = await Promise.all([startFakeAuthService(logger, tokens), startFakeAuditService(logger, tokens)]);
    upstreams = createUpstreamClients({ auth: auth.address, org: auth.address, project: auth.address });
    auditUpstream = createAuditUpstream(audit.address, 2000);
    const base = { logger, registry: createMetricsRegistry('gateway'), checkReadiness: async () => [], verifier: tokens.verifier, ...upstreams.clients };
    app = await createGatewayApp({ ...base, audit: auditUpstream.client });
    withoutAudit = await createGatewayApp({ ...base, registry: createMetricsRegistry('gateway') });
    await Promise.all([app.ready(), withoutAudit.ready()]);
    headers = { authorization: `Bearer ${await tokens.sign({ ...TEST_USER, role: 'auditor' })}` };
  });

  afterAll(async () => {
    await Promise.all([app.close(), withoutAudit.close()]);
    upstreams.close();
    auditUpstream.close();
    await Promise.all([auth.stop(), audit.stop()]);
  });

  const fieldsOf = (body: { errors?: { field: string }[] }): string[] => (body.errors ?? []).map((e) => e.field).sort();

  it('lists events with every filter forwarded, the caller’s token with them, changes parsed', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/audit/events?actorId=u-1&action=project.created&resourceType=project&resourceId=p-1&outcome=denied&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00%2B02:00&limit=20&cursor=c-1',
      headers,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        {
          id: AUDIT_EVENT_ID,
          tenantId: TENANT_ID,
          sequence: 7,
          occurredAt: '2026-11-01T10:00:00.000Z',
          recordedAt: '2026-11-01T10:00:01.000Z',
          actor: { type: 'user', id: USER_ID },
          action: 'project.created',
          resource: { type: 'project', id: null },
          outcome: 'success',
          requestId: 'req-1',
          traceId: null,
          ip: '10.0.0.1',
          userAgent: null,
          changes: { after: { name: 'Apollo' } },
          metadata: null,
          hash: 'b'.repeat(64),
          prevHash: 'a'.repeat(64),
        },
      ],
      nextCursor: 'audit-2',
    });
    expect(audit.lastRequest('listEvents')).toEqual({
      tenantId: '',
      filter: {
        actorId: 'u-1',
        action: 'project.created',
        resourceType: 'project',
        resourceId: 'p-1',
        outcome: 'denied',
        from: '2026-11-01T00:00:00Z',
        to: '2026-11-02T00:00:00+02:00',
      },
      page: { pageSize: 20, cursor: 'c-1' },
    });
    expect(audit.lastPrincipal('listEvents')).toMatchObject({ subject: USER_ID, tenantId: TENANT_ID, role: 'auditor' });
  });

  it.each([
    ['an unparseable time', '/v1/audit/events?from=yesterday', ['querystring.from']],
    ['from after to', '/v1/audit/events?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', ['querystring.from']],
    ['an unknown outcome', '/v1/audit/events?outcome=maybe', ['querystring.outcome']],
    ['a limit above 200', '/v1/audit/events?limit=500', ['querystring.limit']],
    ['a format other than ndjson or csv', '/v1/audit/export?format=xml', ['querystring.format']],
    ['no format', '/v1/audit/export', ['querystring.format']],
    ['an export from after to', '/v1/audit/export?format=csv&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', ['querystring.from']],
    ['a verify range from after to', '/v1/audit/verify?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', ['querystring.from']],
    ['a verify sequence range reversed', '/v1/audit/verify?fromSequence=5&toSequence=2', ['querystring.fromSequence']],
    ['a malformed event id', '/v1/audit/events/not-a-uuid', ['params.id']],
  ])('%s is a 400 naming the field, the audit service never called', async (_case, url, fields) => {
    const before = ['listEvents', 'exportEvents', 'verifyChain', 'getEvent'].map((m) => audit.callCount(m as 'listEvents'));
    const response = await app.inject({ method: 'GET', url, headers });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(fieldsOf(response.json())).toEqual(fields);
    expect(['listEvents', 'exportEvents', 'verifyChain', 'getEvent'].map((m) => audit.callCount(m as 'listEvents'))).toEqual(before);
  });

  it('a malformed cursor is the audit service’s 400 naming it', async () => {
    audit.failNext('listEvents', new AppError({ kind: 'INVALID_ARGUMENT', code: 'INVALID_ARGUMENT', message: 'bad', fieldViolations: [{ field: 'page.cursor', description: 'is not a cursor returned by this list' }] }));
    const response = await app.inject({ method: 'GET', url: '/v1/audit/events?cursor=garbage', headers });
    expect(response.statusCode).toBe(400);
    expect(fieldsOf(response.json())).toEqual(['page.cursor']);
  });

  it('gets one event with its chain position; another tenant’s is 404', async () => {
    const found = await app.inject({ method: 'GET', url: `/v1/audit/events/${AUDIT_EVENT_ID}`, headers });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ id: AUDIT_EVENT_ID, sequence: 7, hash: 'b'.repeat(64), prevHash: 'a'.repeat(64) });
    const missing = await app.inject({ method: 'GET', url: `/v1/audit/events/${MISSING_AUDIT_EVENT_ID}`, headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
  });

  it.each([
    ['ndjson', 'application/x-ndjson'],
    ['csv', 'text/csv; charset=utf-8'],
  ])('exports %s as %s, every chunk of the stream in order, as an attachment', async (format, contentType) => {
    const chunks = Array.from({ length: 300 }, (_, i) => `line ${i}\n`);
    audit.setExportChunks(chunks);
    const response = await app.inject({ method: 'GET', url: `/v1/audit/export?format=${format}&outcome=denied`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="audit-events.${format}"`);
    expect(response.body).toBe(chunks.join(''));
    expect(audit.lastRequest('exportEvents')).toMatchObject({ tenantId: '', format, filter: { outcome: 'denied', from: '' } });
  });

  it('an export the audit service refuses is a problem+json, not a 200 cut short', async () => {
    audit.setExportChunks(['never sent\n']);
    audit.failNext('exportEvents', new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'no' }));
    const response = await app.inject({ method: 'GET', url: '/v1/audit/export?format=ndjson', headers });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['content-disposition']).toBeUndefined();
  });

  it('an empty export is an empty file', async () => {
    audit.setExportChunks([]);
    const response = await app.inject({ method: 'GET', url: '/v1/audit/export?format=ndjson', headers });
    expect([response.statusCode, response.body]).toEqual([200, '']);
  });

  it('verifies over a range: ok false names the first broken event', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/audit/verify?from=2026-11-01T00:00:00Z&fromSequence=2', headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: false, checked: 3, firstBrokenEventId: AUDIT_EVENT_ID, reason: 'hash does not match the stored event' });
    expect(audit.lastRequest('verifyChain')).toEqual({ tenantId: '', from: '2026-11-01T00:00:00Z', to: '', fromSequence: 2, toSequence: 0 });
  });

  it('requires a token (401), and answers 503 naming audit when no audit service is configured', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/audit/events' })).statusCode).toBe(401);
    const response = await withoutAudit.inject({ method: 'GET', url: '/v1/audit/verify', headers });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('documents the four routes in the OpenAPI document', async () => {
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<string, unknown>);
    expect(paths.filter((path) => path.startsWith('/v1/audit'))).toEqual(['/v1/audit/events', '/v1/audit/events/{id}', '/v1/audit/export', '/v1/audit/verify']);
  });
});
