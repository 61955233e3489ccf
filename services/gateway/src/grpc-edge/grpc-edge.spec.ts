import {
  AuthServiceClient,
  MembershipServiceClient,
  OrgServiceClient,
  OrgServiceService,
  ProjectServiceClient,
  type orgV1,
} from '@bulkhead/contracts';
import { AppError } from '@bulkhead/errors';
import { closeGrpcClient, createGrpcClient, type GrpcClientConstructor } from '@bulkhead/grpc-kit';
import { createLogger } from '@bulkhead/observability';
import { bearerMetadata } from '@bulkhead/tokens';
import type { AnyServiceDefinition } from '@bulkhead/grpc-kit';
import { API_KEY_ID, API_KEY_SECRET, startFakeAuthService, type FakeAuthService } from '../testing/fake-auth-service';
import { createCallRecorder, listenFake, type ListeningFake } from '../testing/call-recorder';
import { createTestTokens, TENANT_ID, TEST_USER, type TestTokens } from '../testing/test-tokens';
import { unimplementedService } from '../testing/unimplemented-service';
import { createAuthUpstream } from '../upstream/auth.upstream';
import { startGrpcEdge, type GrpcEdge } from './grpc-edge.server';

const EDGE_DEADLINE_MS = 2000;
const ORGANIZATION: orgV1.Organization = { id: TENANT_ID, name: 'Acme', slug: 'acme', plan: 'professional', settings: { theme: 'dark' } };

describe('the gRPC edge', () => {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const org = createCallRecorder<'getOrganization' | 'getUsage'>();
  let tokens: TestTokens;
  let fakeAuth: FakeAuthService;
  let fakeOrg: ListeningFake;
  let auth: ReturnType<typeof createAuthUpstream>;
  let edge: GrpcEdge;
  let backendDeadline = new Date(0);
  const clients: { close(): void }[] = [];

  const clientOf = <Def extends AnyServiceDefinition>(constructor: GrpcClientConstructor<Def>) => {
    const client = createGrpcClient(constructor, `127.0.0.1:${edge.port}`, { defaultDeadlineMs: 5000 });
    clients.push({ close: () => closeGrpcClient(client) });
    return client;
  };
  const withToken = async (subject = TEST_USER) => ({ metadata: bearerMetadata(await tokens.sign(subject)) });

  beforeAll(async () => {
    tokens = await createTestTokens();
    fakeAuth = await startFakeAuthService(logger, tokens);
    fakeOrg = await listenFake(
      logger,
      tokens,
      OrgServiceService,
      {
        ...unimplementedService(OrgServiceService),
        async getOrganization(request, ctx) {
          org.record('getOrganization', request, ctx);
          backendDeadline = ctx.deadline;
          ctx.responseHeader.set('x-backend', 'org');
          ctx.responseTrailer.set('x-backend-trailer', 'done');
          return { organization: ORGANIZATION };
        },
        async getUsage(request, ctx) {
          org.record('getUsage', request, ctx);
          return { plan: 'basic', items: [] };
        },
      },
      // Public at the fake, so a call the edge wrongly forwarded without a token would be recorded.
      ['getUsage'],
    );
    auth = createAuthUpstream(fakeAuth.address, EDGE_DEADLINE_MS);
    edge = await startGrpcEdge(
      { port: 0, host: '127.0.0.1', backends: { auth: fakeAuth.address, org: fakeOrg.address, project: '127.0.0.1:1' }, deadlineMs: EDGE_DEADLINE_MS },
      { logger, verifier: tokens.verifier, auth: auth.client },
    );
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await edge.stop(1000);
    auth.close();
    await fakeOrg.stop();
    await fakeAuth.stop();
  });

  it('forwards an authenticated call and relays the answer, its headers and trailers', async () => {
    const headers: string[] = [];
    const trailers: string[] = [];
    const answer = await clientOf(OrgServiceClient).getOrganization(
      { id: TENANT_ID },
      {
        ...(await withToken()),
        onHeader: (header) => headers.push(String(header.get('x-backend')[0])),
        onTrailer: (trailer) => trailers.push(String(trailer.get('x-backend-trailer')[0])),
      },
    );
    expect(answer.organization).toMatchObject({ id: TENANT_ID, plan: 'professional', settings: { theme: 'dark' } });
    expect(org.lastRequest('getOrganization')).toEqual({ id: TENANT_ID });
    expect(headers).toEqual(['org']);
    expect(trailers).toEqual(['done']);
  });

  it('forwards the token, the request id, the caller address and the deadline, capped by its own', async () => {
    const token = await tokens.sign();
    const sent = Date.now();
    await clientOf(OrgServiceClient).getOrganization({ id: TENANT_ID }, { metadata: bearerMetadata(token), requestId: 'edge-req-1', deadline: new Date(sent + 60_000) });
    const metadata = org.lastMetadata('getOrganization');
    expect(metadata?.get('authorization')).toEqual([`Bearer ${token}`]);
    expect(metadata?.get('x-request-id')).toEqual(['edge-req-1']);
    expect(metadata?.get('x-client-ip')).toEqual(['127.0.0.1']);
    expect(org.lastPrincipal('getOrganization')).toMatchObject({ type: 'user', tenantId: TENANT_ID });

    expect(backendDeadline.getTime()).toBeLessThanOrEqual(Date.now() + EDGE_DEADLINE_MS);
    expect(backendDeadline.getTime()).toBeGreaterThan(sent + EDGE_DEADLINE_MS - 1000);

    const soon = new Date(Date.now() + 800);
    await clientOf(OrgServiceClient).getOrganization({ id: TENANT_ID }, { ...(await withToken()), deadline: soon });
    expect(backendDeadline.getTime()).toBeLessThanOrEqual(soon.getTime() + 20);
    expect(backendDeadline.getTime()).toBeGreaterThan(soon.getTime() - 500);
  });

  it("relays the backend's error status, message and error-info details", async () => {
    org.failNext(
      'getOrganization',
      new AppError({
        kind: 'INVALID_ARGUMENT',
        code: 'SLUG_INVALID',
        message: 'The slug is not valid.',
        fieldViolations: [{ field: 'slug', description: 'must be a DNS label' }],
        details: { limit: 'projects' },
      }),
    );
    const failure = clientOf(OrgServiceClient).getOrganization({ id: TENANT_ID }, await withToken());
    await expect(failure).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT',
      code: 'SLUG_INVALID',
      message: 'The slug is not valid.',
      fieldViolations: [{ field: 'slug', description: 'must be a DNS label' }],
      details: { limit: 'projects' },
    });
  });

  it('answers UNAUTHENTICATED without calling the backend when the token is missing, forged, expired or a service token', async () => {
    const usage = clientOf(OrgServiceClient);
    const before = org.callCount('getUsage');
    await expect(usage.getUsage({ organizationId: TENANT_ID })).rejects.toMatchObject({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING' });
    await expect(usage.getUsage({ organizationId: TENANT_ID }, { metadata: bearerMetadata(await tokens.forge()) })).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const stale = await tokens.sign(TEST_USER, { ttlSeconds: 60, issuedAt: new Date(Date.now() - 3_600_000) });
    await expect(usage.getUsage({ organizationId: TENANT_ID }, { metadata: bearerMetadata(stale) })).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    const service = await tokens.sign({ sub: 'auth', tid: TENANT_ID, role: 'service', sid: 'auth', scope: [], principalType: 'service' });
    await expect(usage.getUsage({ organizationId: TENANT_ID }, { metadata: bearerMetadata(service) })).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    expect(org.callCount('getUsage')).toBe(before);

    await expect(usage.getUsage({ organizationId: TENANT_ID }, await withToken())).resolves.toMatchObject({ plan: 'basic' });
    expect(org.callCount('getUsage')).toBe(before + 1);
  });

  it('takes an API key like the REST routes: exchanged, and the exchanged token forwarded', async () => {
    await clientOf(OrgServiceClient).getOrganization({ id: TENANT_ID }, { metadata: bearerMetadata(API_KEY_SECRET) });
    expect(org.lastPrincipal('getOrganization')).toMatchObject({ type: 'apiKey', subject: API_KEY_ID });
    expect(org.lastMetadata('getOrganization')?.get('authorization')).toEqual([expect.stringMatching(/^Bearer ey/)]);
  });

  it("lets the auth service's public methods through without a token", async () => {
    const jwks = await clientOf(AuthServiceClient).getJwks({});
    expect(jwks.keys).toHaveLength(1);
    await expect(clientOf(AuthServiceClient).getMe({})).rejects.toMatchObject({ kind: 'UNAUTHENTICATED', code: 'TOKEN_MISSING' });
  });

  it('does not expose the internal MembershipService', async () => {
    await expect(clientOf(MembershipServiceClient).resolveSlug({ slug: 'acme' }, await withToken())).rejects.toMatchObject({ kind: 'UNIMPLEMENTED' });
  });

  it('answers UNAVAILABLE naming a backend it cannot reach', async () => {
    await expect(clientOf(ProjectServiceClient).getProject({ id: TENANT_ID }, await withToken())).rejects.toMatchObject({
      kind: 'UNAVAILABLE',
      code: 'UPSTREAM_UNAVAILABLE',
      details: { dependency: 'project' },
    });
  });

});
