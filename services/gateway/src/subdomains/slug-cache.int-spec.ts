import { createLogger } from '@bulkhead/observability';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createRedisSlugCache, SLUG_CACHE_TTL_SECONDS, slugCacheKey } from './slug-resolver';

describe('the slug cache on the real Redis', () => {
  const logger = createLogger({ service: 'gateway-spec', level: 'silent' });
  const slug = `spec-${randomUUID().slice(0, 8)}`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(loadDevstackEnv().redisUrl, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    await redis.del(slugCacheKey(slug));
    redis.disconnect();
  });

  it('keeps a resolved slug under bh:slug:<slug> for 60 seconds', async () => {
    const cache = createRedisSlugCache(redis, logger);
    const organizationId = randomUUID();
    expect(await cache.get(slug)).toBeUndefined();
    await cache.set(slug, organizationId);
    expect(await cache.get(slug)).toBe(organizationId);
    expect(await redis.get(`bh:slug:${slug}`)).toBe(organizationId);
    const ttl = await redis.ttl(slugCacheKey(slug));
    expect(ttl).toBeGreaterThan(SLUG_CACHE_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(SLUG_CACHE_TTL_SECONDS);
  });

  it('never fails a request when Redis does not answer: a miss, and nothing stored', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const cache = createRedisSlugCache(down, logger);
      await expect(cache.set(slug, randomUUID())).resolves.toBeUndefined();
      await expect(cache.get(slug)).resolves.toBeUndefined();
    } finally {
      down.disconnect();
    }
  });
});
