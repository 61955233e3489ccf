import { AppError } from '@bulkhead/errors';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import { NEW_ORGANIZATION_ID } from '../testing/fake-auth-service';
import type { OrgMethod } from '../testing/fake-org-service';
import { createGatewayFixture, createUpstreamClients, type GatewayFixture } from '../testing/gateway.fixture';
import { OTHER_TENANT_ID, TENANT_ID } from '../testing/test-tokens';

describe('organization routes', () => {
  let fixture: GatewayFixture;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    headers = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const orgResponse = {
    id: TENANT_ID,
    name: 'Acme',
    slug: 'acme',
    plan: 'basic',
    limits: { projects: 3, members: 5, workflows: 10, agents: 5, requestsPerMinute: 600, concurrentRuns: 2, storageBytes: 10 * 1024 * 1024 },
    settings: { theme: 'dark' },
    createdAt: '2026-01-02T03:04:05.000Z',
    updatedAt: '2026-01-02T03:04:05.000Z',
  };

  it("lists the caller's organizations with their roles, a page at a time, forwarding the token", async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/orgs?limit=10&cursor=abc', headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        { id: TENANT_ID, name: 'Acme', role: 'owner' },
        { id: OTHER_TENANT_ID, name: 'Globex', role: 'viewer' },
      ],
      nextCursor: 'orgs-2',
    });
    expect(fixture.orgService.lastRequest('listOrganizations')).toEqual({ page: { pageSize: 10, cursor: 'abc' } });
    expect(fixture.orgService.lastPrincipal('listOrganizations')).toMatchObject({ type: 'user', tenantId: TENANT_ID });
  });

  it('refuses a limit above 200 naming it, without calling upstream', async () => {
    const before = fixture.orgService.callCount('listOrganizations');
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/orgs?limit=201', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'querystring.limit', message: expect.any(String) }]);
    expect(fixture.orgService.callCount('listOrganizations')).toBe(before);
  });

  it('creates an organization through the auth service: 201 with it', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { name: ' Initech ', slug: 'initech' } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ id: NEW_ORGANIZATION_ID, name: 'Initech', slug: 'initech' });
    expect(fixture.fake.lastRequest('createOrganization')).toEqual({ name: 'Initech', slug: 'initech' });
    await fixture.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { name: 'Hooli' } });
    expect(fixture.fake.lastRequest('createOrganization')).toEqual({ name: 'Hooli', slug: '' });
  });

  it('refuses a missing name, a bad slug and unknown fields, naming each', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { slug: 'Not A Slug', plan: 'enterprise' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.name', 'body.plan', 'body.slug']);
  });

  it('answers 409 for a taken slug, as the auth service says', async () => {
    fixture.fake.failNext('createOrganization', new AppError({ kind: 'ALREADY_EXISTS', code: 'SLUG_TAKEN', message: 'The slug is taken.' }));
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/orgs', headers, payload: { name: 'Acme', slug: 'acme' } });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'SLUG_TAKEN' });
  });

  it("reads the token's organization, in any case of its id", async () => {
    const response = await fixture.app.inject({ method: 'GET', url: `/v1/orgs/${TENANT_ID.toUpperCase()}`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(orgResponse);
    expect(fixture.orgService.lastRequest('getOrganization')).toEqual({ id: TENANT_ID });
  });

  it('updates only the fields sent', async () => {
    const response = await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${TENANT_ID}`,
      headers,
      payload: { name: 'Acme Inc', plan: 'professional', settings: { theme: 'light', beta: true } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...orgResponse, name: 'Acme Inc', plan: 'professional', settings: { theme: 'light', beta: true } });
    expect(fixture.orgService.lastRequest('updateOrganization')).toEqual({
      id: TENANT_ID,
      name: 'Acme Inc',
      plan: 'professional',
      settings: { theme: 'light', beta: true },
    });
  });

  it('refuses an unknown plan and unknown fields on update, naming each', async () => {
    const response = await fixture.app.inject({ method: 'PATCH', url: `/v1/orgs/${TENANT_ID}`, headers, payload: { plan: 'gold', id: OTHER_TENANT_ID } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.id', 'body.plan']);
  });

  it('passes a permission refusal through as 403', async () => {
    fixture.orgService.failNext(
      'updateOrganization',
      new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'Your role in this organization does not allow org.plan.change.' }),
    );
    const response = await fixture.app.inject({ method: 'PATCH', url: `/v1/orgs/${TENANT_ID}`, headers, payload: { plan: 'enterprise' } });
    expect(response.statusCode).toBe(403);
  });

  it('deletes the organization with 204', async () => {
    const response = await fixture.app.inject({ method: 'DELETE', url: `/v1/orgs/${TENANT_ID}`, headers });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(fixture.orgService.lastRequest('deleteOrganization')).toEqual({ id: TENANT_ID });
  });

  it('answers usage against the plan, byte counts past 2^31 whole', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: `/v1/orgs/${TENANT_ID}/usage`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      plan: 'basic',
      items: [
        { resource: 'projects', used: 2, limit: 3 },
        { resource: 'members', used: 1, limit: 5 },
        { resource: 'storageBytes', used: 3 * 2 ** 31, limit: 50 * 2 ** 30 },
      ],
    });
    expect(fixture.orgService.lastRequest('getUsage')).toEqual({ organizationId: TENANT_ID });
  });

  describe("an {orgId} that is not the token's organization", () => {
    const cases: { method: 'GET' | 'PATCH' | 'DELETE'; suffix: string; payload?: Record<string, unknown> }[] = [
      { method: 'GET', suffix: '' },
      { method: 'PATCH', suffix: '', payload: { name: 'Mine now' } },
      { method: 'DELETE', suffix: '' },
      { method: 'GET', suffix: '/usage' },
    ];

    const forwarded: OrgMethod[] = ['getOrganization', 'updateOrganization', 'deleteOrganization', 'getUsage'];
    const callCounts = () => forwarded.map((method) => fixture.orgService.callCount(method));

    it.each(cases)('$method /v1/orgs/{other}$suffix is 404 like a missing one, and nothing is forwarded', async ({ method, suffix, payload }) => {
      const before = callCounts();
      const response = await fixture.app.inject({ method, url: `/v1/orgs/${OTHER_TENANT_ID}${suffix}`, headers, ...(payload === undefined ? {} : { payload }) });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ status: 404, code: 'ORGANIZATION_NOT_FOUND' });
      expect(JSON.stringify(response.json())).not.toContain(OTHER_TENANT_ID);
      expect(callCounts()).toEqual(before);
    });
  });

  it('answers 404 when the org service does not find the organization', async () => {
    fixture.orgService.failNext('getOrganization', new AppError({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND', message: 'Organization not found' }));
    const response = await fixture.app.inject({ method: 'GET', url: `/v1/orgs/${TENANT_ID}`, headers });
    expect(response.statusCode).toBe(404);
  });

  it('refuses a non-UUID {orgId} naming params.orgId', async () => {
    for (const url of ['/v1/orgs/acme', '/v1/orgs/1/usage']) {
      const response = await fixture.app.inject({ method: 'GET', url, headers });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'params.orgId', message: expect.any(String) }]);
    }
  });

  it('requires a token', async () => {
    expect((await fixture.app.inject({ method: 'GET', url: '/v1/orgs' })).statusCode).toBe(401);
    expect((await fixture.app.inject({ method: 'GET', url: `/v1/orgs/${TENANT_ID}` })).statusCode).toBe(401);
  });

  it('answers 503 naming the org service when it cannot be reached', async () => {
    const unreachable = createUpstreamClients({ auth: '127.0.0.1:1', org: '127.0.0.1:1', project: '127.0.0.1:1' }, 1000);
    const app = await createGatewayApp({
      logger: createLogger({ service: 'gateway-spec', level: 'silent' }),
      registry: createMetricsRegistry('gateway'),
      checkReadiness: async () => ['org'],
      verifier: fixture.tokens.verifier,
      ...unreachable.clients,
    });
    try {
      const response = await app.inject({ method: 'GET', url: `/v1/orgs/${TENANT_ID}`, headers });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', dependency: 'org' });
    } finally {
      await app.close();
      unreachable.close();
    }
  });
});
