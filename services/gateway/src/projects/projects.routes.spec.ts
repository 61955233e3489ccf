import { AppError } from '@bulkhead/errors';
import { MISSING_PROJECT_ID, PROJECT_ID } from '../testing/fake-project-service';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { TENANT_ID, USER_ID } from '../testing/test-tokens';

const OTHER_USER_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a62';

describe('project routes', () => {
  let fixture: GatewayFixture;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    headers = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const project = {
    id: PROJECT_ID,
    name: 'Website',
    description: 'The public site',
    settings: { region: 'eu' },
    archived: false,
    createdAt: '2026-01-02T03:04:05.000Z',
    updatedAt: '2026-01-02T03:04:05.000Z',
  };

  it('lists projects a page at a time, archived ones only when asked', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/projects', headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [project], nextCursor: 'projects-2' });
    expect(fixture.projectService.lastRequest('listProjects')).toEqual({ page: { pageSize: 50, cursor: '' }, includeArchived: false });
    await fixture.app.inject({ method: 'GET', url: '/v1/projects?limit=200&cursor=projects-2&includeArchived=true', headers });
    expect(fixture.projectService.lastRequest('listProjects')).toEqual({ page: { pageSize: 200, cursor: 'projects-2' }, includeArchived: true });
    expect(fixture.projectService.lastPrincipal('listProjects')).toMatchObject({ subject: USER_ID, tenantId: TENANT_ID });
  });

  it('refuses a limit above 200 and a non-boolean includeArchived, naming each', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/projects?limit=500&includeArchived=maybe', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['querystring.includeArchived', 'querystring.limit']);
  });

  it('creates a project: 201 with it', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: ' API ', settings: { tier: 1 } } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ ...project, name: 'API', description: '', settings: { tier: 1 } });
    expect(fixture.projectService.lastRequest('createProject')).toEqual({ name: 'API', description: '', settings: { tier: 1 } });
  });

  it('refuses a missing name, a non-object settings and unknown fields, naming each', async () => {
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { settings: [1], id: PROJECT_ID } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.id', 'body.name', 'body.settings']);
  });

  it("answers 402 naming the limit and the plan past the plan's project limit", async () => {
    fixture.projectService.failNext(
      'createProject',
      new AppError({ kind: 'QUOTA_EXCEEDED', code: 'PLAN_LIMIT_REACHED', message: 'The basic plan allows 3 projects.', details: { limit: 'projects', plan: 'basic' } }),
    );
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: 'Fourth' } });
    expect(response.statusCode).toBe(402);
    expect(response.json()).toMatchObject({ status: 402, code: 'PLAN_LIMIT_REACHED', limit: 'projects', plan: 'basic' });
  });

  it('answers 409 for a name taken in the organization, and 403 for a viewer', async () => {
    fixture.projectService.failNext('createProject', new AppError({ kind: 'ALREADY_EXISTS', code: 'PROJECT_NAME_TAKEN', message: 'taken' }));
    expect((await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: 'Website' } })).statusCode).toBe(409);
    fixture.projectService.failNext('createProject', new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'no' }));
    expect((await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: 'Nope' } })).statusCode).toBe(403);
  });

  it('reads, updates and deletes a project', async () => {
    const read = await fixture.app.inject({ method: 'GET', url: `/v1/projects/${PROJECT_ID}`, headers });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(project);
    const updated = await fixture.app.inject({ method: 'PATCH', url: `/v1/projects/${PROJECT_ID}`, headers, payload: { archived: true, description: 'old' } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ ...project, archived: true, description: 'old' });
    expect(fixture.projectService.lastRequest('updateProject')).toEqual({ id: PROJECT_ID, archived: true, description: 'old' });
    const deleted = await fixture.app.inject({ method: 'DELETE', url: `/v1/projects/${PROJECT_ID}`, headers });
    expect(deleted.statusCode).toBe(204);
    expect(fixture.projectService.lastRequest('deleteProject')).toEqual({ id: PROJECT_ID });
  });

  it('refuses unknown fields on update', async () => {
    const response = await fixture.app.inject({ method: 'PATCH', url: `/v1/projects/${PROJECT_ID}`, headers, payload: { owner: USER_ID } });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'body.owner', message: 'is not a known field' }]);
  });

  it("answers 404 for a project the service does not find (another tenant's or none)", async () => {
    for (const [method, url] of [
      ['GET', `/v1/projects/${MISSING_PROJECT_ID}`],
      ['DELETE', `/v1/projects/${MISSING_PROJECT_ID}`],
      ['GET', `/v1/projects/${MISSING_PROJECT_ID}/members`],
      ['DELETE', `/v1/projects/${MISSING_PROJECT_ID}/members/${USER_ID}`],
    ] as const) {
      const response = await fixture.app.inject({ method, url, headers });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    }
  });

  it('refuses non-UUID path ids with 400 naming them, never calling the service', async () => {
    const before = fixture.projectService.callCount('getProject');
    const response = await fixture.app.inject({ method: 'GET', url: "/v1/projects/1'%20OR%201=1", headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'params.id', message: expect.any(String) }]);
    expect(fixture.projectService.callCount('getProject')).toBe(before);
    const member = await fixture.app.inject({ method: 'PUT', url: `/v1/projects/${PROJECT_ID}/members/ada`, headers, payload: { role: 'editor' } });
    expect(member.json().errors).toEqual([{ field: 'params.userId', message: expect.any(String) }]);
  });

  it('lists, sets and removes project members', async () => {
    const list = await fixture.app.inject({ method: 'GET', url: `/v1/projects/${PROJECT_ID}/members`, headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [{ userId: USER_ID, role: 'admin', addedAt: '2026-01-02T03:04:05.000Z' }], nextCursor: null });
    const set = await fixture.app.inject({ method: 'PUT', url: `/v1/projects/${PROJECT_ID}/members/${OTHER_USER_ID}`, headers, payload: { role: 'editor' } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ userId: OTHER_USER_ID, role: 'editor' });
    expect(fixture.projectService.lastRequest('setProjectMember')).toEqual({ projectId: PROJECT_ID, userId: OTHER_USER_ID, role: 'editor' });
    const removed = await fixture.app.inject({ method: 'DELETE', url: `/v1/projects/${PROJECT_ID}/members/${OTHER_USER_ID}`, headers });
    expect(removed.statusCode).toBe(204);
    expect(fixture.projectService.lastRequest('removeProjectMember')).toEqual({ projectId: PROJECT_ID, userId: OTHER_USER_ID });
  });

  it('refuses an org role as a project role, and answers 404 for a user outside the organization', async () => {
    const badRole = await fixture.app.inject({ method: 'PUT', url: `/v1/projects/${PROJECT_ID}/members/${OTHER_USER_ID}`, headers, payload: { role: 'owner' } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json().errors).toEqual([{ field: 'body.role', message: expect.any(String) }]);
    fixture.projectService.failNext(
      'setProjectMember',
      new AppError({ kind: 'NOT_FOUND', code: 'NOT_AN_ORG_MEMBER', message: 'The user is not a member of the organization.' }),
    );
    const outsider = await fixture.app.inject({ method: 'PUT', url: `/v1/projects/${PROJECT_ID}/members/${OTHER_USER_ID}`, headers, payload: { role: 'viewer' } });
    expect(outsider.statusCode).toBe(404);
    expect(outsider.json()).toMatchObject({ code: 'NOT_AN_ORG_MEMBER' });
  });

  it('documents every tenancy route in the OpenAPI document', async () => {
    const doc = (await fixture.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /v1/orgs',
        'POST /v1/orgs',
        'GET /v1/orgs/{orgId}',
        'PATCH /v1/orgs/{orgId}',
        'DELETE /v1/orgs/{orgId}',
        'GET /v1/orgs/{orgId}/usage',
        'GET /v1/orgs/{orgId}/members',
        'PATCH /v1/orgs/{orgId}/members/{userId}',
        'DELETE /v1/orgs/{orgId}/members/{userId}',
        'POST /v1/orgs/{orgId}/invitations',
        'GET /v1/orgs/{orgId}/invitations',
        'DELETE /v1/orgs/{orgId}/invitations/{id}',
        'POST /v1/invitations/accept',
        'GET /v1/projects',
        'POST /v1/projects',
        'GET /v1/projects/{id}',
        'PATCH /v1/projects/{id}',
        'DELETE /v1/projects/{id}',
        'GET /v1/projects/{id}/members',
        'PUT /v1/projects/{id}/members/{userId}',
        'DELETE /v1/projects/{id}/members/{userId}',
      ]),
    );
    const body = (path: string, method: string) => doc.paths[path][method].requestBody.content['application/json'].schema;
    expect(body('/v1/projects', 'post').required).toEqual(['name']);
    expect(body('/v1/orgs/{orgId}/invitations', 'post').required).toEqual(['email', 'role']);
    expect(body('/v1/orgs', 'post').additionalProperties).toBe(false);
  });
});
