import { AppError } from '@bulkhead/errors';
import { API_KEY_ID, API_KEY_SECRET } from '../testing/fake-auth-service';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { OTHER_TENANT_ID, SESSION_ID, TENANT_ID, TEST_USER } from '../testing/test-tokens';

describe('authentication at the gateway', () => {
  let fixture: GatewayFixture;

  beforeAll(async () => {
    fixture = await createGatewayFixture();
  });

  afterAll(() => fixture.close());

  const me = (headers: Record<string, string> = {}) => fixture.app.inject({ method: 'GET', url: '/v1/auth/me', headers });

  describe('access tokens', () => {
    it('answers 401 TOKEN_MISSING with WWW-Authenticate when no token is sent, without calling upstream', async () => {
      const before = fixture.fake.callCount('getMe');
      const response = await me({ 'x-request-id': 'req-401' });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="bulkhead"');
      expect(response.headers['x-request-id']).toBe('req-401');
      expect(response.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING', requestId: 'req-401' });
      expect(fixture.fake.callCount('getMe')).toBe(before);
    });

    it('refuses other schemes and garbage as TOKEN_INVALID', async () => {
      for (const authorization of ['Basic YWRhOnB3', 'Bearer', 'Bearer not a jwt', 'Bearer abc.def.ghi']) {
        const response = await me({ authorization });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toMatchObject({ code: 'TOKEN_INVALID' });
        expect(response.headers['www-authenticate']).toBe('Bearer realm="bulkhead", error="invalid_token"');
      }
    });

    it('refuses a token signed by an unknown key, an edited token, and an expired one', async () => {
      const forged = await me({ authorization: `Bearer ${await fixture.tokens.forge()}` });
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toMatchObject({ code: 'TOKEN_INVALID' });

      const [header, , signature] = (await fixture.tokens.sign()).split('.');
      const payload = Buffer.from(JSON.stringify({ ...TEST_USER, tid: OTHER_TENANT_ID, role: 'owner' })).toString('base64url');
      const edited = await me({ authorization: `Bearer ${header}.${payload}.${signature}` });
      expect(edited.statusCode).toBe(401);
      expect(edited.json()).toMatchObject({ code: 'TOKEN_INVALID' });

      const stale = await fixture.tokens.sign(TEST_USER, { ttlSeconds: 60, issuedAt: new Date(Date.now() - 3_600_000) });
      const expired = await me({ authorization: `Bearer ${stale}` });
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('refuses a service token (internal, ADR 0004) with 401, without calling upstream', async () => {
      const before = fixture.fake.callCount('getMe');
      const token = await fixture.tokens.sign({ sub: 'auth', tid: TENANT_ID, role: 'service', sid: SESSION_ID, scope: [], principalType: 'service' });
      const response = await me({ authorization: `Bearer ${token}` });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ status: 401, code: 'TOKEN_SERVICE_REFUSED' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="bulkhead", error="invalid_token"');
      expect(fixture.fake.callCount('getMe')).toBe(before);
      const userToken = await fixture.tokens.sign({ ...TEST_USER, principalType: 'user' });
      expect((await me({ authorization: `Bearer ${userToken}` })).statusCode).toBe(200);
    });

    it('refuses a token of a revoked session', async () => {
      const sid = '01936f3e-4d3a-7b1e-9a55-0c2d1e3f4a99';
      const token = await fixture.tokens.sign({ ...TEST_USER, sid });
      expect((await me({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
      fixture.tokens.revokeSession(sid);
      const revoked = await me({ authorization: `Bearer ${token}` });
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    });
  });

  describe('X-Tenant-ID', () => {
    let authorization: string;

    beforeAll(async () => {
      authorization = `Bearer ${await fixture.tokens.sign()}`;
    });

    it("is accepted when it names the token's organization, in any case", async () => {
      expect((await me({ authorization, 'x-tenant-id': TENANT_ID })).statusCode).toBe(200);
      expect((await me({ authorization, 'x-tenant-id': TENANT_ID.toUpperCase() })).statusCode).toBe(200);
    });

    it('is refused with 403 TENANT_MISMATCH when it names another organization, without calling upstream', async () => {
      const before = fixture.fake.callCount('getMe');
      const response = await me({ authorization, 'x-tenant-id': OTHER_TENANT_ID });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ status: 403, code: 'TENANT_MISMATCH' });
      expect(fixture.fake.callCount('getMe')).toBe(before);
    });

    it('must be a UUID', async () => {
      const response = await me({ authorization, 'x-tenant-id': 'acme' });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toEqual([{ field: 'headers.x-tenant-id', message: expect.any(String) }]);
    });

    it('is checked only after the token: without one the answer is 401', async () => {
      expect((await me({ 'x-tenant-id': OTHER_TENANT_ID })).statusCode).toBe(401);
    });
  });

  describe('API keys', () => {
    const withKey = { authorization: `Bearer ${API_KEY_SECRET}` };

    it('exchanges the key once for a token, forwards that token, and reuses it', async () => {
      const before = fixture.fake.callCount('exchangeApiKey');
      const first = await me({ ...withKey, 'x-request-id': 'req-key' });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ apiKey: { id: API_KEY_ID, role: 'member', projectId: null }, organization: { id: TENANT_ID, role: 'member' }, memberships: [] });
      expect(first.json().user).toBeUndefined();
      expect(fixture.fake.callCount('exchangeApiKey')).toBe(before + 1);
      expect(fixture.fake.lastRequest('exchangeApiKey')).toEqual({ secret: API_KEY_SECRET });
      expect(fixture.fake.lastMetadata('exchangeApiKey')?.get('x-request-id')).toEqual(['req-key']);

      const forwarded = fixture.fake.lastMetadata('getMe')?.get('authorization');
      expect(forwarded).toEqual([expect.stringMatching(/^Bearer ey/)]);
      expect(fixture.fake.lastPrincipal('getMe')).toMatchObject({ type: 'apiKey', subject: API_KEY_ID, tenantId: TENANT_ID });

      for (let i = 0; i < 3; i += 1) expect((await me(withKey)).statusCode).toBe(200);
      expect(fixture.fake.callCount('exchangeApiKey')).toBe(before + 1);
    });

    it('answers 401 with the auth service code for an unknown key', async () => {
      const response = await me({ authorization: 'Bearer bhk_notakey' });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'API_KEY_INVALID' });
    });

    it('stops a revoked key at once: its cached token is refused and forgotten', async () => {
      expect((await me(withKey)).statusCode).toBe(200);
      const exchanges = fixture.fake.callCount('exchangeApiKey');
      fixture.tokens.revokeSession(API_KEY_ID);
      const revoked = await me(withKey);
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
      fixture.fake.failNext('exchangeApiKey', new AppError({ kind: 'UNAUTHENTICATED', code: 'API_KEY_REVOKED', message: 'The API key was revoked.' }));
      const again = await me(withKey);
      expect(again.json()).toMatchObject({ code: 'API_KEY_REVOKED' });
      expect(fixture.fake.callCount('exchangeApiKey')).toBe(exchanges + 1);
    });
  });

  describe('the gateway’s own refusals', () => {
    it('are recorded as access.denied (route and code) for the caller; a backend’s 403 is left to the backend', async () => {
      const denied: Array<{ tenantId: string; route: string; code: string }> = [];
      const recording = await createGatewayFixture({
        deniedAudit: { denied: (caller, request) => denied.push({ tenantId: caller.principal.tenantId, route: request.route, code: request.error.code }) },
      });
      try {
        const authorization = `Bearer ${await recording.tokens.sign()}`;
        const mismatch = await recording.app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization, 'x-tenant-id': OTHER_TENANT_ID } });
        expect(mismatch.statusCode).toBe(403);
        const platform = await recording.app.inject({ method: 'GET', url: `/v1/platform/audit/events?tenantId=${OTHER_TENANT_ID}`, headers: { authorization } });
        expect(platform.statusCode).toBe(403);
        recording.projectService.failNext('createProject', new AppError({ kind: 'PERMISSION_DENIED', code: 'PERMISSION_DENIED', message: 'no' }));
        const backend = await recording.app.inject({ method: 'POST', url: '/v1/projects', headers: { authorization }, payload: { name: 'Nope' } });
        expect(backend.statusCode).toBe(403);
        expect(await recording.app.inject({ method: 'GET', url: '/v1/auth/me' })).toMatchObject({ statusCode: 401 });
        expect(denied).toEqual([
          { tenantId: TENANT_ID, route: 'GET /v1/auth/me', code: 'TENANT_MISMATCH' },
          { tenantId: TENANT_ID, route: 'GET /v1/platform/audit/events', code: 'PLATFORM_ROLE_REQUIRED' },
        ]);
      } finally {
        await recording.close();
      }
    });
  });
});
