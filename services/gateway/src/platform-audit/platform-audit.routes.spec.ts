import { AppError } from '@bulkhead/errors';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import type { HttpApp } from '../http/http-app';
import { AUDIT_EVENT_ID, startFakeAuditService, type FakeAuditService } from '../testing/fake-audit-service';
import { startFakeAuthService, type FakeAuthService } from '../testing/fake-auth-service';
import { createUpstreamClients, type UpstreamClients } from '../testing/gateway.fixture';
import { createTestTokens, OTHER_TENANT_ID, TEST_USER } from '../testing/test-tokens';
import { createAuditUpstream } from '../upstream/audit.upstream';

const METHODS = ['listEvents', 'getEvent', 'exportEvents', 'verifyChain'] as const;

describe('platform audit routes', () => {
  let app: HttpApp;
  let auth: FakeAuthService;
  let audit: FakeAuditService;
  let upstreams: UpstreamClients;
  let auditUpstream: ReturnType<typeof createAuditUpstream>;
  let officer: Record<string, string>;
  let owner: Record<string, string>;

  beforeAll(async () => {
    const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
    const tokens = await createTestTokens();
    [auth, audit] = await Promise.all([startFakeAuthService(logger, tokens), startFakeAuditService(logger, tokens)]);
    upstreams = createUpstreamClients({ auth: auth.address, org: auth.address, project: auth.address });
    auditUpstream = createAuditUpstream(audit.address, 2000);
    app = await createGatewayApp({ logger, registry: createMetricsRegistry('gateway'), checkReadiness: async () => [], verifier: tokens.verifier, ...upstreams.clients, audit: auditUpstream.client });
    await app.ready();
    officer = { authorization: `Bearer ${await tokens.sign({ ...TEST_USER, role: 'viewer', platformRoles: ['compliance'] })}` };
    owner = { authorization: `Bearer ${await tokens.sign({ ...TEST_USER, role: 'owner' })}` };
  });

  afterAll(async () => {
    await app.close();
    upstreams.close();
    auditUpstream.close();
    await Promise.all([auth.stop(), audit.stop()]);
  });

  const calls = () => METHODS.map((method) => audit.callCount(method));

  it('lists another organization’s events with the filters, naming it in tenant_id', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/platform/audit/events?tenantId=${OTHER_TENANT_ID}&action=project.created&limit=10`, headers: officer });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ items: [{ id: AUDIT_EVENT_ID }], nextCursor: 'audit-2' });
    expect(audit.lastRequest('listEvents')).toMatchObject({ tenantId: OTHER_TENANT_ID, filter: { action: 'project.created' }, page: { pageSize: 10 } });
  });

  it('gets, exports and verifies with tenant_id set', async () => {
    expect((await app.inject({ method: 'GET', url: `/v1/platform/audit/events/${AUDIT_EVENT_ID}?tenantId=${OTHER_TENANT_ID}`, headers: officer })).statusCode).toBe(200);
    expect(audit.lastRequest('getEvent')).toEqual({ tenantId: OTHER_TENANT_ID, id: AUDIT_EVENT_ID });

    audit.setExportChunks(['id,action\n', 'e-1,project.created\n']);
    const exported = await app.inject({ method: 'GET', url: `/v1/platform/audit/export?tenantId=${OTHER_TENANT_ID}&format=csv`, headers: officer });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(exported.body).toBe('id,action\ne-1,project.created\n');
    expect(audit.lastRequest('exportEvents')).toMatchObject({ tenantId: OTHER_TENANT_ID, format: 'csv' });

    const verified = await app.inject({ method: 'GET', url: `/v1/platform/audit/verify?tenantId=${OTHER_TENANT_ID}&fromSequence=2`, headers: officer });
    expect(verified.json()).toMatchObject({ ok: false, checked: 3, firstBrokenEventId: AUDIT_EVENT_ID });
    expect(audit.lastRequest('verifyChain')).toMatchObject({ tenantId: OTHER_TENANT_ID, fromSequence: 2 });
  });

  it.each([
    ['events', `/v1/platform/audit/events?tenantId=${OTHER_TENANT_ID}`],
    ['event', `/v1/platform/audit/events/${AUDIT_EVENT_ID}?tenantId=${OTHER_TENANT_ID}`],
    ['export', `/v1/platform/audit/export?tenantId=${OTHER_TENANT_ID}&format=ndjson`],
    ['verify', `/v1/platform/audit/verify?tenantId=not-even-a-uuid`],
  ])('refuses an org owner without the platform role (%s): 403 before validation or any call', async (_name, url) => {
    const before = calls();
    const response = await app.inject({ method: 'GET', url, headers: owner });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'PLATFORM_ROLE_REQUIRED' });
    expect(calls()).toEqual(before);
  });

  it('requires a token', async () => {
    expect((await app.inject({ method: 'GET', url: `/v1/platform/audit/events?tenantId=${OTHER_TENANT_ID}` })).statusCode).toBe(401);
  });

  it.each([
    ['no tenantId', '/v1/platform/audit/events', ['querystring.tenantId']],
    ['a tenantId that is not a UUID', '/v1/platform/audit/verify?tenantId=acme', ['querystring.tenantId']],
    ['a bad format', `/v1/platform/audit/export?tenantId=${OTHER_TENANT_ID}&format=xml`, ['querystring.format']],
  ])('answers %s with a 400 naming the field, without calling the audit service', async (_name, url, fields) => {
    const before = calls();
    const response = await app.inject({ method: 'GET', url, headers: officer });
    expect(response.statusCode).toBe(400);
    expect((response.json() as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(fields);
    expect(calls()).toEqual(before);
  });

  it('passes the audit service’s refusal to record the read on as 503', async () => {
    audit.failNext('listEvents', new AppError({ kind: 'UNAVAILABLE', code: 'PLATFORM_READ_NOT_RECORDED', message: 'not recorded' }));
    const response = await app.inject({ method: 'GET', url: `/v1/platform/audit/events?tenantId=${OTHER_TENANT_ID}`, headers: officer });
    expect(response.statusCode).toBe(503);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<string, unknown>);
    expect(paths).toEqual(
      expect.arrayContaining(['/v1/platform/audit/events', '/v1/platform/audit/events/{id}', '/v1/platform/audit/export', '/v1/platform/audit/verify']),
    );
  });
});
