import { AppError } from '@bulkhead/errors';
import { REQUEST_ID_METADATA_KEY } from '@bulkhead/grpc-kit';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import { createGatewayFixture, createUpstreamClients, type GatewayFixture } from '../testing/gateway.fixture';
import { ISSUED_REFRESH_TOKEN } from '../testing/fake-auth-service';
import { OTHER_TENANT_ID, TENANT_ID, USER_ID } from '../testing/test-tokens';

/** A refresh token of the real format, traded for the fake's next pair. */
const PREVIOUS_REFRESH_TOKEN = `bhr_${'0'.repeat(43)}`;

const json = { 'content-type': 'application/json' };
const signUp = { email: 'ada@example.com', password: 'correct horse battery staple', name: ' Ada ', organizationName: 'Acme' };

describe('identity routes', () => {
  let fixture: GatewayFixture;
  let bearer: { authorization: string };

  beforeAll(async () => {
    fixture = await createGatewayFixture();
    bearer = { authorization: `Bearer ${await fixture.tokens.sign()}` };
  });

  afterAll(() => fixture.close());

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fixture.app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { ...json, ...headers } });

  describe('happy paths', () => {
    it('signs up: 201 with the user, the organization and tokens, names trimmed', async () => {
      const response = await post('/v1/auth/signup', signUp, { 'x-request-id': 'req-signup' });
      expect(response.statusCode).toBe(201);
      expect(response.headers['x-request-id']).toBe('req-signup');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toEqual({
        user: { id: USER_ID, email: 'ada@example.com', name: 'Ada', createdAt: '2026-01-02T03:04:05.000Z' },
        organization: { id: TENANT_ID, name: 'Acme' },
        accessToken: expect.any(String),
        refreshToken: ISSUED_REFRESH_TOKEN,
        expiresIn: 300,
      });
      expect(fixture.fake.lastRequest('signUp')).toEqual({ ...signUp, name: 'Ada' });
    });

    it('logs in, to the first membership or the organization asked for', async () => {
      const first = await post('/v1/auth/login', { email: 'ada@example.com', password: 'pw' });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ accessToken: expect.any(String), refreshToken: ISSUED_REFRESH_TOKEN, expiresIn: 300, organizationId: TENANT_ID });
      expect(fixture.fake.lastRequest('login')).toEqual({ email: 'ada@example.com', password: 'pw', organizationId: '' });
      const other = await post('/v1/auth/login', { email: 'ada@example.com', password: 'pw', organizationId: OTHER_TENANT_ID });
      expect(other.json()).toMatchObject({ organizationId: OTHER_TENANT_ID });
    });

    it('forwards the request id, the client address and user agent, and no token on public calls', async () => {
      await post('/v1/auth/login', { email: 'ada@example.com', password: 'pw' }, { 'x-request-id': 'req-login', 'user-agent': 'curl/8.5' });
      const metadata = fixture.fake.lastMetadata('login');
      expect(metadata?.get(REQUEST_ID_METADATA_KEY)).toEqual(['req-login']);
      expect(metadata?.get('x-client-ip')).toEqual(['127.0.0.1']);
      expect(metadata?.get('x-client-user-agent')).toEqual(['curl/8.5']);
      expect(metadata?.get('authorization')).toEqual([]);
    });

    it('refreshes', async () => {
      const response = await post('/v1/auth/refresh', { refreshToken: PREVIOUS_REFRESH_TOKEN });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ refreshToken: ISSUED_REFRESH_TOKEN, organizationId: TENANT_ID });
      expect(fixture.fake.lastRequest('refresh')).toEqual({ refreshToken: PREVIOUS_REFRESH_TOKEN });
    });

    it('logs out with 204, forwarding the caller token', async () => {
      const response = await fixture.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer });
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      expect(fixture.fake.lastMetadata('logout')?.get('authorization')).toEqual([bearer.authorization]);
      expect(fixture.fake.lastPrincipal('logout')).toMatchObject({ subject: USER_ID, tenantId: TENANT_ID });
    });

    it('answers me with the user, the current organization and role, and the memberships', async () => {
      const response = await fixture.app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        user: { id: USER_ID, email: 'ada@example.com', name: 'Ada', createdAt: '2026-01-02T03:04:05.000Z' },
        organization: { id: TENANT_ID, role: 'owner' },
        memberships: [{ organizationId: TENANT_ID, organizationName: 'Acme', role: 'owner' }],
      });
    });

    it('switches organization', async () => {
      const response = await post('/v1/auth/switch-org', { organizationId: OTHER_TENANT_ID }, bearer);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ organizationId: OTHER_TENANT_ID, expiresIn: 300 });
    });

    it('publishes the JWKS, cacheable for a minute', async () => {
      const response = await fixture.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=60');
      const [key] = fixture.tokens.jwks.keys;
      expect(response.json()).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: key?.x, kid: key?.kid, alg: 'EdDSA', use: 'sig' }] });
    });
  });

  describe('validation', () => {
    const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field).sort();

    it('refuses a bad email and a password over 1 KiB, naming both, without calling upstream', async () => {
      const before = fixture.fake.callCount('signUp');
      const response = await post('/v1/auth/signup', { ...signUp, email: 'not-an-email', password: 'p'.repeat(2048) });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, requestId: expect.any(String) });
      expect(fieldsOf(response.json())).toEqual(['body.email', 'body.password']);
      expect(fixture.fake.callCount('signUp')).toBe(before);
    });

    it('counts the password in bytes, not characters', async () => {
      const response = await post('/v1/auth/login', { email: 'ada@example.com', password: 'é'.repeat(600) });
      expect(response.statusCode).toBe(400);
      expect(fieldsOf(response.json())).toEqual(['body.password']);
    });

    it('refuses unknown fields, naming each', async () => {
      const response = await post('/v1/auth/login', { email: 'ada@example.com', password: 'pw', role: 'owner', tenantId: TENANT_ID });
      expect(response.statusCode).toBe(400);
      expect(fieldsOf(response.json())).toEqual(['body.role', 'body.tenantId']);
    });

    it('refuses blank names and a non-UUID organization id', async () => {
      const blank = await post('/v1/auth/signup', { ...signUp, name: '   ' });
      expect(fieldsOf(blank.json())).toEqual(['body.name']);
      const notUuid = await post('/v1/auth/switch-org', { organizationId: 'acme' }, bearer);
      expect(notUuid.statusCode).toBe(400);
      expect(fieldsOf(notUuid.json())).toEqual(['body.organizationId']);
    });

    it('answers 400 for malformed JSON and 413 for a 1 MB body', async () => {
      const malformed = await post('/v1/auth/login', '{"email": ');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
      const huge = await post('/v1/auth/signup', { ...signUp, name: 'x'.repeat(1024 * 1024) });
      expect(huge.statusCode).toBe(413);
      expect(huge.json()).toMatchObject({ code: 'BODY_TOO_LARGE' });
    });
  });

  describe('upstream errors', () => {
    it('maps ALREADY_EXISTS to 409 with the service code and message', async () => {
      fixture.fake.failNext('signUp', new AppError({ kind: 'ALREADY_EXISTS', code: 'EMAIL_TAKEN', message: 'An account with this email exists.' }));
      const response = await post('/v1/auth/signup', signUp, { 'x-request-id': 'req-409' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({
        type: 'urn:bulkhead:problem:email-taken',
        title: 'Conflict',
        status: 409,
        detail: 'An account with this email exists.',
        code: 'EMAIL_TAKEN',
        requestId: 'req-409',
      });
    });

    it('maps a throttled login to 429 with Retry-After', async () => {
      fixture.fake.failNext(
        'login',
        new AppError({ kind: 'RATE_LIMITED', code: 'LOGIN_THROTTLED', message: 'Too many attempts.', details: { retryAfterSeconds: '42' } }),
      );
      const response = await post('/v1/auth/login', { email: 'ada@example.com', password: 'pw' });
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBe('42');
      expect(response.json()).toMatchObject({ code: 'LOGIN_THROTTLED', retryAfterSeconds: '42' });
    });

    it('maps RESOURCE_EXHAUSTED with retryAfterSeconds to 429 with Retry-After', async () => {
      fixture.fake.failNext(
        'refresh',
        new AppError({ kind: 'RESOURCE_EXHAUSTED', code: 'TOO_MANY_REFRESHES', message: 'Slow down.', details: { retryAfterSeconds: '5' } }),
      );
      const response = await post('/v1/auth/refresh', { refreshToken: PREVIOUS_REFRESH_TOKEN });
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBe('5');
    });

    it('maps NOT_FOUND to 404, and a refused login to 401 with WWW-Authenticate', async () => {
      fixture.fake.failNext('switchOrg', new AppError({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND', message: 'Organization not found' }));
      const notFound = await post('/v1/auth/switch-org', { organizationId: OTHER_TENANT_ID }, bearer);
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json()).toMatchObject({ code: 'ORGANIZATION_NOT_FOUND' });
      fixture.fake.failNext('login', new AppError({ kind: 'UNAUTHENTICATED', code: 'INVALID_CREDENTIALS', message: 'Wrong email or password.' }));
      const refused = await post('/v1/auth/login', { email: 'ada@example.com', password: 'nope' });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="bulkhead"');
    });

    it('answers 503 naming the auth service when it cannot be reached', async () => {
      const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
      const unreachable = createUpstreamClients({ auth: '127.0.0.1:1', org: '127.0.0.1:1', project: '127.0.0.1:1' }, 1000);
      const app = await createGatewayApp({
        logger,
        registry: createMetricsRegistry('gateway'),
        checkReadiness: async () => ['auth'],
        verifier: fixture.tokens.verifier,
        ...unreachable.clients,
      });
      try {
        const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json', headers: { 'x-request-id': 'req-503' } });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', dependency: 'auth', requestId: 'req-503' });
        expect(response.json().detail).toContain('auth');
      } finally {
        await app.close();
        unreachable.close();
      }
    });
  });

  it('documents every identity route with its request schema in the OpenAPI document', async () => {
    const doc = (await fixture.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const required = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema.required;
    expect(required('/v1/auth/signup')).toEqual(['email', 'password', 'name', 'organizationName']);
    expect(required('/v1/auth/login')).toEqual(['email', 'password']);
    expect(required('/v1/auth/refresh')).toEqual(['refreshToken']);
    expect(required('/v1/auth/switch-org')).toEqual(['organizationId']);
    expect(doc.paths['/v1/auth/signup'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(doc.paths['/v1/auth/logout'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/v1/auth/me'].get).toBeDefined();
    expect(doc.paths['/.well-known/jwks.json'].get).toBeDefined();
    expect(doc.paths['/v1/api-keys'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'x-tenant-id']));
    expect(required('/v1/api-keys')).toEqual(['name']);
    expect(doc.paths['/v1/api-keys/{id}'].delete.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]));
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
