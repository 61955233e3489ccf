import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { TENANT_ID, TEST_USER } from '../testing/test-tokens';

const PROJECT = '0193a000-0000-7000-8000-000000000001';
const OTHER_PROJECT = '0193a000-0000-7000-8000-000000000002';

describe('the route table at the gateway', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
  });

  afterAll(() => fixture.close());

  const keyToken = (limits: { scope?: string[]; projectId?: string }) =>
    fixture.tokens.sign({ ...TEST_USER, tid: TENANT_ID, role: 'admin', principalType: 'apiKey', scope: limits.scope ?? [], ...(limits.projectId === undefined ? {} : { projectId: limits.projectId }) });

  it("refuses what a key's scopes do not name, naming the scope, without calling the backend", async () => {
    const before = fixture.projectService.callCount('updateProject');
    const response = await fixture.app.inject({
      method: 'PATCH',
      url: `/v1/projects/${PROJECT}`,
      headers: { authorization: `Bearer ${await keyToken({ scope: ['projects:read'] })}` },
      payload: { name: 'renamed' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'API_KEY_SCOPE_MISSING', permission: 'project.update', scope: 'projects:write' });
    expect(fixture.projectService.callCount('updateProject')).toBe(before);
  });

  it('keeps a project-bound key out of other projects (404) and off organization actions (403), without calling the backend', async () => {
    const token = await keyToken({ projectId: PROJECT });
    const before = fixture.projectService.callCount('getProject') + fixture.projectService.callCount('createProject');
    const other = await fixture.app.inject({ method: 'GET', url: `/v1/projects/${OTHER_PROJECT}`, headers: { authorization: `Bearer ${token}` } });
    expect([other.statusCode, other.json().code]).toEqual([404, 'PROJECT_NOT_FOUND']);
    const create = await fixture.app.inject({ method: 'POST', url: '/v1/projects', headers: { authorization: `Bearer ${token}` }, payload: { name: 'new' } });
    expect([create.statusCode, create.json().code]).toEqual([403, 'API_KEY_PROJECT_BOUND']);
    expect(fixture.projectService.callCount('getProject') + fixture.projectService.callCount('createProject')).toBe(before);
  });

  it('never lets a key mint a key, and lets people through to the backend', async () => {
    const before = fixture.fake.callCount('createApiKey');
    const byKey = await fixture.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${await keyToken({})}` }, payload: { name: 'child' } });
    expect([byKey.statusCode, byKey.json().code]).toEqual([403, 'API_KEY_NOT_ALLOWED']);
    expect(fixture.fake.callCount('createApiKey')).toBe(before);
    const byUser = await fixture.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${await fixture.tokens.sign()}` }, payload: { name: 'child' } });
    expect(byUser.statusCode).toBe(201);
    expect(fixture.fake.callCount('createApiKey')).toBe(before + 1);
  });
});
