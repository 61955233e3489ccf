import { AppError } from '@bulkhead/errors';
import { API_KEY_ID, API_KEY_SECRET } from '../testing/fake-auth-service';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { USER_ID } from '../testing/test-tokens';

const KEY_ID = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a80';

describe('API key routes', () => {
  let fixture: GatewayFixture;
  let headers: Record<string, string>;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    headers = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const listedKey = {
    id: API_KEY_ID,
    name: 'ci',
    prefix: 'bhk_0123',
    role: 'member',
    scopes: ['projects:read'],
    projectId: null,
    createdBy: USER_ID,
    createdAt: '2026-01-02T03:04:05.000Z',
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
  };

  it('lists a page of keys with the default limit and the next cursor', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/v1/api-keys', headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ items: [listedKey], nextCursor: 'cursor-2' });
    expect(fixture.fake.lastRequest('listApiKeys')).toEqual({ page: { pageSize: 50, cursor: '' } });
  });

  it('passes limit and cursor through, and refuses a limit above 200 naming it', async () => {
    await fixture.app.inject({ method: 'GET', url: '/v1/api-keys?limit=200&cursor=abc', headers });
    expect(fixture.fake.lastRequest('listApiKeys')).toEqual({ page: { pageSize: 200, cursor: 'abc' } });
    const tooMany = await fixture.app.inject({ method: 'GET', url: '/v1/api-keys?limit=201', headers });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().errors).toEqual([{ field: 'querystring.limit', message: expect.any(String) }]);
  });

  it('creates a key: 201 with the key and its secret, not cacheable', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers,
      payload: { name: ' deploy bot ', role: 'viewer', scopes: ['projects:read'], expiresAt: '2027-01-01T00:00:00Z' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ apiKey: { ...listedKey, name: 'deploy bot', role: 'viewer' }, secret: API_KEY_SECRET });
    expect(fixture.fake.lastRequest('createApiKey')).toEqual({
      name: 'deploy bot',
      role: 'viewer',
      scopes: ['projects:read'],
      expiresAt: '2027-01-01T00:00:00.000Z',
      projectId: '',
    });
  });

  it('refuses an owner key, a bad scope, a bad date and unknown fields, naming each', async () => {
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers,
      payload: { name: 'x', role: 'owner', scopes: ['everything'], expiresAt: 'tomorrow', secret: 'bhk_mine' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'body.expiresAt',
      'body.role',
      'body.scopes.0',
      'body.secret',
    ]);
  });

  it('revokes a key with 204, and answers 404 for a key the auth service does not find', async () => {
    const revoked = await fixture.app.inject({ method: 'DELETE', url: `/v1/api-keys/${KEY_ID}`, headers });
    expect(revoked.statusCode).toBe(204);
    expect(fixture.fake.lastRequest('revokeApiKey')).toEqual({ id: KEY_ID });
    fixture.fake.failNext('revokeApiKey', new AppError({ kind: 'NOT_FOUND', code: 'API_KEY_NOT_FOUND', message: 'API key not found' }));
    const missing = await fixture.app.inject({ method: 'DELETE', url: `/v1/api-keys/${KEY_ID}`, headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'API_KEY_NOT_FOUND', status: 404 });
  });

  it('refuses a non-UUID id naming params.id', async () => {
    const response = await fixture.app.inject({ method: 'DELETE', url: '/v1/api-keys/not-a-uuid', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ field: 'params.id', message: expect.any(String) }]);
  });

  it("passes the auth service's permission refusal through as 403", async () => {
    fixture.fake.failNext(
      'createApiKey',
      new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'Your role in this organization does not allow apiKeys.manage.' }),
    );
    const response = await fixture.app.inject({ method: 'POST', url: '/v1/api-keys', headers, payload: { name: 'x' } });
    expect(response.statusCode).toBe(403);
  });

  it('requires a token', async () => {
    expect((await fixture.app.inject({ method: 'GET', url: '/v1/api-keys' })).statusCode).toBe(401);
  });
});
