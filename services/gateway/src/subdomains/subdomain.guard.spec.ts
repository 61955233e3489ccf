import { MembershipServiceService } from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { createLogger, createMetricsRegistry } from '@bulkhead/observability';
import { createGatewayApp } from '../gateway.app';
import type { HttpApp } from '../http/http-app';
import { createCallRecorder, listenFake, type ListeningFake } from '../testing/call-recorder';
import { startFakeAuthService, type FakeAuthService } from '../testing/fake-auth-service';
import { createUpstreamClients, type UpstreamClients } from '../testing/gateway.fixture';
import { unimplementedService } from '../testing/unimplemented-service';
import { createTestTokens, OTHER_TENANT_ID, TENANT_ID, type TestTokens } from '../testing/test-tokens';
import { createMembershipUpstream } from '../upstream/membership.upstream';
import { createSlugResolver, type SlugCache } from './slug-resolver';
import { createSubdomainGuard } from './subdomain.guard';

const BASE_DOMAIN = 'bulkhead.example';
const SLUGS: Record<string, string> = { acme: TENANT_ID, globex: OTHER_TENANT_ID };

describe('subdomain routing', () => {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const membership = createCallRecorder<'resolveSlug'>();
  const cached = new Map<string, string>();
  const cache: SlugCache = {
    get: async (slug) => cached.get(slug),
    set: async (slug, organizationId) => {
      cached.set(slug, organizationId);
    },
  };
  let tokens: TestTokens;
  let fakeAuth: FakeAuthService;
  let fakeMembership: ListeningFake;
  let upstreams: UpstreamClients;
  let membershipUpstream: ReturnType<typeof createMembershipUpstream>;
  let app: HttpApp;
  let authorization: string;

  beforeAll(async () => {
    tokens = await createTestTokens();
    fakeAuth = await startFakeAuthService(logger, tokens);
    fakeMembership = await listenFake(logger, tokens, MembershipServiceService, {
      ...unimplementedService(MembershipServiceService),
      async resolveSlug(request, ctx) {
        membership.record('resolveSlug', request, ctx);
        const organizationId = SLUGS[request.slug];
        if (organizationId === undefined) throw new AppError({ kind: 'NOT_FOUND', code: 'ORGANIZATION_NOT_FOUND', message: 'No such slug.' });
        return { organizationId };
      },
    });
    upstreams = createUpstreamClients({ auth: fakeAuth.address, org: fakeAuth.address, project: fakeAuth.address });
    membershipUpstream = createMembershipUpstream(fakeMembership.address, 2000);
    const slugs = createSlugResolver({ cache, membership: membershipUpstream.client });
    app = await createGatewayApp({
      logger,
      registry: createMetricsRegistry('gateway'),
      checkReadiness: async () => [],
      verifier: tokens.verifier,
      ...upstreams.clients,
      callerGuards: [createSubdomainGuard({ baseDomain: BASE_DOMAIN, slugs })],
    });
    await app.ready();
    authorization = `Bearer ${await tokens.sign()}`;
  });

  afterAll(async () => {
    await app.close();
    upstreams.close();
    membershipUpstream.close();
    await fakeMembership.stop();
    await fakeAuth.stop();
  });

  beforeEach(() => cached.clear());

  const me = (host: string, headers: Record<string, string> = { authorization }) =>
    app.inject({ method: 'GET', url: '/v1/auth/me', headers: { ...headers, host } });

  it("admits the token's own organization's subdomain, resolving the slug on the caller's token once", async () => {
    const before = membership.callCount('resolveSlug');
    const first = await me('acme.bulkhead.example:8443');
    expect(first.statusCode).toBe(200);
    expect(membership.callCount('resolveSlug')).toBe(before + 1);
    expect(membership.lastRequest('resolveSlug')).toEqual({ slug: 'acme' });
    expect(membership.lastMetadata('resolveSlug')?.get('authorization')).toEqual([authorization]);
    expect(cached.get('acme')).toBe(TENANT_ID);

    expect((await me('ACME.Bulkhead.Example')).statusCode).toBe(200);
    expect(membership.callCount('resolveSlug')).toBe(before + 1);
  });

  it("refuses another organization's subdomain with 403 TENANT_MISMATCH, without calling the route's backend", async () => {
    const before = fakeAuth.callCount('getMe');
    const response = await me('globex.bulkhead.example');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ status: 403, code: 'TENANT_MISMATCH' });
    expect(fakeAuth.callCount('getMe')).toBe(before);
  });

  it('answers 404 for a slug no organization has, and does not cache it', async () => {
    const response = await me('nobody.bulkhead.example');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'SUBDOMAIN_NOT_FOUND' });
    expect(cached.has('nobody')).toBe(false);
  });

  it('answers 404 for a host under the base domain that cannot be a slug, without asking auth', async () => {
    const before = membership.callCount('resolveSlug');
    const response = await me('a.b.bulkhead.example');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'SUBDOMAIN_NOT_FOUND' });
    expect(membership.callCount('resolveSlug')).toBe(before);
  });

  it('checks nothing on the base domain itself or on another host', async () => {
    const before = membership.callCount('resolveSlug');
    expect((await me('bulkhead.example')).statusCode).toBe(200);
    expect((await me('api.other.example')).statusCode).toBe(200);
    expect(membership.callCount('resolveSlug')).toBe(before);
  });

  it('authenticates first: no token on a subdomain is 401', async () => {
    const response = await me('globex.bulkhead.example', {});
    expect(response.statusCode).toBe(401);
  });

  it('leaves public routes alone: login works on any subdomain', async () => {
    const before = membership.callCount('resolveSlug');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { host: 'globex.bulkhead.example' },
      payload: { email: 'ada@example.com', password: 'pw' },
    });
    expect(response.statusCode).toBe(200);
    expect(membership.callCount('resolveSlug')).toBe(before);
  });
});
