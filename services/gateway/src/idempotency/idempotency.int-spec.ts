import { tenantKey } from '@bulkhead/tenant-cache';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { Redis } from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { createGatewayFixture, type GatewayFixture } from '../testing/gateway.fixture';
import { TENANT_ID, USER_ID } from '../testing/test-tokens';
import { COMPLETED_TTL_SECONDS, createRedisIdempotencyStore, IN_FLIGHT_TTL_SECONDS } from './idempotency-store';

describe('Idempotency-Key on the real Redis', () => {
  let redis: Redis;
  let fixture: GatewayFixture;
  let authorization: string;
  const keys: string[] = [];

  const redisKeyOf = (key: string): string => {
    const stored = tenantKey(TENANT_ID, 'idem', createHash('sha256').update(`${USER_ID}\n${key}`).digest('hex'));
    keys.push(stored);
    return stored;
  };

  beforeAll(async () => {
    redis = new Redis(loadDevstackEnv().redisUrl, { maxRetriesPerRequest: 1 });
    fixture = await createGatewayFixture({ idempotencyStore: createRedisIdempotencyStore(redis) });
    authorization = `Bearer ${await fixture.tokens.sign()}`;
  });

  afterAll(async () => {
    if (keys.length > 0) await redis.del(...keys);
    await fixture.close();
    redis.disconnect();
  });

  const createProject = (key: string, name = 'Website') =>
    fixture.app.inject({ method: 'POST', url: '/v1/projects', headers: { authorization, 'idempotency-key': key }, payload: { name } });

  it('keeps the response under bh:{<tenantId>}:idem:<hash> for 24 h and replays it; another body is 422', async () => {
    const key = randomUUID();
    const stored = redisKeyOf(key);
    const before = fixture.projectService.callCount('createProject');
    const first = await createProject(key);
    expect(first.statusCode).toBe(201);

    const record: unknown = JSON.parse((await redis.get(stored)) ?? 'null');
    expect(record).toMatchObject({ state: 'completed', response: { status: 201, body: first.body } });
    const ttl = await redis.ttl(stored);
    expect(ttl).toBeGreaterThan(COMPLETED_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(COMPLETED_TTL_SECONDS);

    const again = await createProject(key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect((await createProject(key, 'Shop')).statusCode).toBe(422);
    expect(fixture.projectService.callCount('createProject')).toBe(before + 1);
  });

  it('claims atomically: of concurrent claims exactly one wins, for 60 s, and a release frees the key', async () => {
    const store = createRedisIdempotencyStore(redis);
    const stored = redisKeyOf(randomUUID());
    const claims = await Promise.all([1, 2, 3, 4].map(() => store.claim(stored, 'fingerprint')));
    expect(claims.filter((claim) => claim === undefined)).toHaveLength(1);
    expect(claims.filter((claim) => claim !== undefined)).toEqual(Array(3).fill({ state: 'in-flight', fingerprint: 'fingerprint' }));
    const ttl = await redis.ttl(stored);
    expect(ttl).toBeGreaterThan(IN_FLIGHT_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(IN_FLIGHT_TTL_SECONDS);
    await store.release(stored);
    expect(await store.claim(stored, 'fingerprint')).toBeUndefined();
  });

  it('runs requests without idempotency when Redis does not answer', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    const failing = await createGatewayFixture({ idempotencyStore: createRedisIdempotencyStore(down) });
    try {
      const headers = { authorization: `Bearer ${await failing.tokens.sign()}`, 'idempotency-key': randomUUID() };
      for (let i = 0; i < 2; i += 1) {
        expect((await failing.app.inject({ method: 'POST', url: '/v1/projects', headers, payload: { name: 'Website' } })).statusCode).toBe(201);
      }
      expect(failing.projectService.callCount('createProject')).toBe(2);
    } finally {
      await failing.close();
      down.disconnect();
    }
  });
});
