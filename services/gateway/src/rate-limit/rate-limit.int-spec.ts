import { ERROR_INFO_TRAILER_KEY, OrgServiceService } from '@bulkhead/contracts';
import { fromGrpcError } from '@bulkhead/grpc-kit';
import { bearerMetadata } from '@bulkhead/tokens';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { createLogger, createMetricsRegistry, type Registry } from '@bulkhead/observability';
import type { Plan } from '@bulkhead/permissions';
import { createTenantCache, tenantKey } from '@bulkhead/tenant-cache';
import { eventually, loadDevstackEnv } from '@bulkhead/testkit';
import { Redis } from 'ioredis';
import { createGatewayApp } from '../gateway.app';
import { startGrpcEdge, type GrpcEdge } from '../grpc-edge/grpc-edge.server';
import { createPassThroughClient, passThroughDefinition, type PassThroughClient } from '../grpc-edge/pass-through';
import type { HttpApp } from '../http/http-app';
import { createCallRecorder, listenFake, type ListeningFake } from '../testing/call-recorder';
import { startFakeAuthService, type FakeAuthService } from '../testing/fake-auth-service';
import { createUpstreamClients, type UpstreamClients } from '../testing/gateway.fixture';
import { createTestTokens, TEST_USER, type TestTokens } from '../testing/test-tokens';
import { unimplementedService } from '../testing/unimplemented-service';
import { bucketPolicyOf, type RequestsPerMinuteByPlan } from './rate-limit.policy';
import { createRedisTokenBucket } from './redis-token-bucket';
import { PLAN_CACHE_KEY, createTenantPlans } from './tenant-plans';
import { createRateLimitGuard, createTenantRateLimiter, type TenantRateLimiter } from './tenant-rate-limit';

// Small enough to exhaust quickly: basic refills a token every 2 s, professional every 6 s (so a
// burst on a slow machine still sees exact counts).
const LIMITS: RequestsPerMinuteByPlan = { basic: 30, professional: 10, enterprise: 1000 };

describe('per-tenant rate limits on the real Redis', () => {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const org = createCallRecorder<'getOrganization' | 'getUsage'>();
  const plans = new Map<string, Plan>();
  const tenants: string[] = [];
  let redis: Redis;
  let tokens: TestTokens;
  let fakeAuth: FakeAuthService;
  let fakeOrg: ListeningFake;
  let upstreams: UpstreamClients;

  const newTenant = (plan: Plan): string => {
    const tenantId = randomUUID();
    plans.set(tenantId, plan);
    tenants.push(tenantId);
    return tenantId;
  };

  const limiterOn = (store: Redis, registry: Registry): TenantRateLimiter =>
    createTenantRateLimiter({
      bucket: createRedisTokenBucket(store),
      plans: createTenantPlans({ cache: createTenantCache(store), org: upstreams.clients.org, logger }),
      requestsPerMinute: LIMITS,
      logger,
      registry,
    });

  const gatewayOn = async (limiter: TenantRateLimiter, registry: Registry): Promise<HttpApp> => {
    const app = await createGatewayApp({
      logger,
      registry,
      checkReadiness: async () => [],
      verifier: tokens.verifier,
      ...upstreams.clients,
      callerGuards: [createRateLimitGuard(limiter)],
    });
    await app.ready();
    return app;
  };

  let app: HttpApp;
  // The gRPC edge in front of the same fake org service, sharing the REST app's limiter.
  let edge: GrpcEdge;
  let edgeClient: PassThroughClient;

  beforeAll(async () => {
    redis = new Redis(loadDevstackEnv().redisUrl, { maxRetriesPerRequest: 1 });
    tokens = await createTestTokens();
    fakeAuth = await startFakeAuthService(logger, tokens);
    fakeOrg = await listenFake(logger, tokens, OrgServiceService, {
      ...unimplementedService(OrgServiceService),
      async getOrganization(request, ctx) {
        org.record('getOrganization', request, ctx);
        return { organization: { id: request.id, name: 'Org', slug: 'org', plan: plans.get(request.id) ?? 'basic' } };
      },
      async getUsage(request, ctx) {
        org.record('getUsage', request, ctx);
        return { plan: plans.get(request.organizationId) ?? 'basic', items: [] };
      },
    });
    upstreams = createUpstreamClients({ auth: fakeAuth.address, org: fakeOrg.address, project: fakeOrg.address });
    const registry = createMetricsRegistry('gateway');
    const limiter = limiterOn(redis, registry);
    app = await gatewayOn(limiter, registry);
    edge = await startGrpcEdge(
      { port: 0, host: '127.0.0.1', backends: { auth: fakeAuth.address, org: fakeOrg.address, project: fakeOrg.address }, deadlineMs: 2000 },
      { logger, verifier: tokens.verifier, auth: upstreams.clients.auth, rateLimit: limiter },
    );
    edgeClient = createPassThroughClient(passThroughDefinition(OrgServiceService), `127.0.0.1:${edge.port}`);
  });

  afterAll(async () => {
    edgeClient.close();
    await edge.stop(1000);
    await app.close();
    if (tenants.length > 0) await redis.del(...tenants.flatMap((tenantId) => [tenantKey(tenantId, 'ratelimit'), tenantKey(tenantId, ...PLAN_CACHE_KEY)]));
    redis.disconnect();
    upstreams.close();
    await fakeOrg.stop();
    await fakeAuth.stop();
  });

  const meAs = async (tenantId: string, target: HttpApp = app) =>
    target.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${await tokens.sign({ ...TEST_USER, tid: tenantId })}` } });

  /** `OrgService.GetUsage` through the gRPC edge: the error (if any) and the response headers. */
  const usageOverGrpc = async (tenantId: string) => {
    const token = await tokens.sign({ ...TEST_USER, tid: tenantId });
    return new Promise<{ err: ServiceError | null; headers: Metadata }>((resolve) => {
      let headers = new Metadata();
      const request = OrgServiceService.getUsage.requestSerialize({ organizationId: tenantId });
      const call = edgeClient.method('getUsage')(request, bearerMetadata(token), { deadline: Date.now() + 5000 }, (err) => resolve({ err, headers }));
      call.on('metadata', (received: Metadata) => {
        headers = received;
      });
    });
  };

  it('shares one bucket per tenant between REST and the gRPC edge: exhausted over REST, refused over gRPC without calling the backend', async () => {
    const a = newTenant('professional');
    for (let i = 0; i < 10; i += 1) expect((await meAs(a)).statusCode).toBe(200);
    expect((await meAs(a)).statusCode).toBe(429);
    const before = org.callCount('getUsage');

    const { err, headers } = await usageOverGrpc(a);
    expect(err?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(err?.metadata.get(ERROR_INFO_TRAILER_KEY)).toHaveLength(1);
    const refused = fromGrpcError(err);
    expect(refused).toMatchObject({ kind: 'RATE_LIMITED', code: 'RATE_LIMITED', details: { plan: 'professional', limit: 'requestsPerMinute' } });
    expect(Number(refused.details['retryAfterSeconds'])).toBeGreaterThanOrEqual(1);
    expect(headers.get('ratelimit-limit')).toEqual(['10']);
    expect(headers.get('ratelimit-remaining')).toEqual(['0']);
    expect(headers.get('ratelimit-policy')).toEqual(['10;w=60']);
    expect(org.callCount('getUsage')).toBe(before);
  });

  it('and the other way: exhausted over gRPC, refused over REST; allowed gRPC calls carry the ratelimit-* metadata', async () => {
    const a = newTenant('professional');
    for (let i = 1; i <= 10; i += 1) {
      const { err, headers } = await usageOverGrpc(a);
      expect(err).toBeNull();
      expect(headers.get('ratelimit-limit')).toEqual(['10']);
      expect(headers.get('ratelimit-remaining')).toEqual([String(10 - i)]);
    }
    const before = org.callCount('getUsage');
    expect((await usageOverGrpc(a)).err?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(org.callCount('getUsage')).toBe(before);

    const refused = await meAs(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', plan: 'professional' });
  });

  it('answers 429 RATE_LIMITED with Retry-After past the burst, RateLimit-* headers on every response, and leaves other tenants alone', async () => {
    const a = newTenant('professional');
    const b = newTenant('basic');
    for (let i = 1; i <= 10; i += 1) {
      const response = await meAs(a);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('10');
      expect(response.headers['ratelimit-remaining']).toBe(String(10 - i));
      expect(response.headers['ratelimit-policy']).toBe('10;w=60');
    }
    const refused = await meAs(a);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    expect(refused.headers['ratelimit-limit']).toBe('10');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(54);
    expect(Number(refused.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);

    const other = await meAs(b);
    expect(other.statusCode).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('29');
  });

  it('refills: a refused tenant gets through again once a token is back, not before', async () => {
    const a = newTenant('basic');
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i += 1) status = (await meAs(a)).statusCode;
    expect(status).toBe(429);
    const refusedAt = Date.now();
    const tokensLeft = Number(await redis.hget(tenantKey(a, 'ratelimit'), 'tokens'));
    expect(tokensLeft).toBeLessThan(1);
    const refillMs = (1 - tokensLeft) / bucketPolicyOf(LIMITS.basic).refillPerMs;
    await eventually(async () => expect((await meAs(a)).statusCode).toBe(200), 5000);
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(refillMs - 100);
    expect((await meAs(a)).statusCode).toBe(429);
  });

  it("sizes the bucket by the tenant's plan, read once through the tenant cache", async () => {
    const big = newTenant('enterprise');
    const before = org.callCount('getOrganization');
    for (let i = 0; i < 3; i += 1) expect((await meAs(big)).headers['ratelimit-limit']).toBe('1000');
    expect(org.callCount('getOrganization')).toBe(before + 1);
    expect(org.lastRequest('getOrganization')).toEqual({ id: big });
    expect(await redis.get(tenantKey(big, 'org', 'plan'))).toBe('"enterprise"');
    const ttl = await redis.ttl(tenantKey(big, 'org', 'plan'));
    expect(ttl).toBeGreaterThan(250);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it('keeps the bucket in bh:{<tenantId>}:ratelimit, expiring once it would be full again', async () => {
    const a = newTenant('basic');
    await meAs(a);
    const key = tenantKey(a, 'ratelimit');
    expect(Number(await redis.hget(key, 'tokens'))).toBeCloseTo(29, 1);
    const ttlMs = await redis.pttl(key);
    expect(ttlMs).toBeGreaterThan(1000);
    expect(ttlMs).toBeLessThanOrEqual(2000);
  });

  it('reloads its script when Redis has lost it (EVALSHA falls back to EVAL)', async () => {
    const bucket = createRedisTokenBucket(redis);
    const key = tenantKey(newTenant('basic'), 'ratelimit');
    await redis.script('FLUSH');
    expect(await bucket.take(key, bucketPolicyOf(2))).toMatchObject({ allowed: true });
    expect(await bucket.take(key, bucketPolicyOf(2))).toMatchObject({ allowed: true });
    expect(await bucket.take(key, bucketPolicyOf(2))).toMatchObject({ allowed: false });
  });

  it('steps the bucket under the plan cached next to it in one script, the default plan for an unknown one, nothing when none is cached', async () => {
    const bucket = createRedisTokenBucket(redis);
    const policies = { basic: bucketPolicyOf(2), enterprise: bucketPolicyOf(3) };
    const tenantId = newTenant('enterprise');
    const key = tenantKey(tenantId, 'ratelimit');
    const planKey = tenantKey(tenantId, ...PLAN_CACHE_KEY);
    await redis.script('FLUSH');
    expect(await bucket.takeUnderCachedPlan(key, planKey, policies, 'basic')).toBeUndefined();
    expect(await redis.exists(key)).toBe(0);
    await redis.set(planKey, '"enterprise"');
    const taken = await Promise.all([1, 2, 3, 4].map(() => bucket.takeUnderCachedPlan(key, planKey, policies, 'basic')));
    expect(taken.map((t) => [t?.plan, t?.state.allowed])).toEqual([
      ['enterprise', true],
      ['enterprise', true],
      ['enterprise', true],
      ['enterprise', false],
    ]);
    const other = tenantKey(newTenant('basic'), 'ratelimit');
    await redis.set(planKey, '"platinum"');
    expect(await bucket.takeUnderCachedPlan(other, planKey, policies, 'basic')).toMatchObject({ plan: 'basic', state: { tokens: 1 } });
    await redis.set(planKey, 'not json');
    expect(await bucket.takeUnderCachedPlan(other, planKey, policies, 'basic')).toMatchObject({ plan: 'basic', state: { allowed: true } });
    expect(await bucket.takeUnderCachedPlan(other, planKey, policies, 'basic')).toMatchObject({ plan: 'basic', state: { allowed: false } });
  });

  it('fails open when Redis does not answer: the request passes, unlimited, and the miss is counted', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    const registry = createMetricsRegistry('gateway');
    const failing = await gatewayOn(limiterOn(down, registry), registry);
    try {
      const response = await meAs(newTenant('basic'), failing);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
      expect(await registry.getSingleMetricAsString('bulkhead_gateway_rate_limit_unavailable_total')).toMatch(/_total\{service="gateway"\} 1$/m);
    } finally {
      await failing.close();
      down.disconnect();
    }
  });
});
