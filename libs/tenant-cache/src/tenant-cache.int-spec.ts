import { uuidv7 } from '@bulkhead/database';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { Redis } from 'ioredis';
import { createTenantCache, tenantKey } from './index';

describe('the tenant cache on the devstack Redis', () => {
  const redis = new Redis(loadDevstackEnv().redisUrl, { lazyConnect: true });
  const cache = createTenantCache(redis);
  const tenantA = uuidv7();
  const tenantB = uuidv7();

  beforeAll(() => redis.connect());
  afterAll(async () => {
    await cache.purgeTenant(tenantA);
    await cache.purgeTenant(tenantB);
    redis.disconnect();
  });

  it('loads once, serves the cached JSON until invalidated, with the TTL set', async () => {
    let loads = 0;
    const load = async () => ({ plan: `plan-${++loads}` });
    await expect(cache.getOrLoad(tenantA, ['org', 'profile'], 60, load)).resolves.toEqual({ plan: 'plan-1' });
    await expect(cache.getOrLoad(tenantA, ['org', 'profile'], 60, load)).resolves.toEqual({ plan: 'plan-1' });
    const ttl = await redis.ttl(tenantKey(tenantA, 'org', 'profile'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    await cache.invalidate(tenantA, [['org', 'profile']]);
    await expect(cache.getOrLoad(tenantA, ['org', 'profile'], 60, load)).resolves.toEqual({ plan: 'plan-2' });
  });

  it('caches the fields of one entry apart, keeps the TTL of its first field, and drops them all with one invalidation', async () => {
    let loads = 0;
    const roleOf = (user: string) => cache.getOrLoadField(tenantA, ['project-access', 'p1'], user, 60, async () => `${user}-${++loads}`);
    await expect(roleOf('ada')).resolves.toBe('ada-1');
    await redis.expire(tenantKey(tenantA, 'project-access', 'p1'), 30);
    await expect(roleOf('bob')).resolves.toBe('bob-2');
    await expect(roleOf('ada')).resolves.toBe('ada-1');
    // A later field does not extend the entry: a stale one cannot outlive the TTL of the first.
    expect(await redis.ttl(tenantKey(tenantA, 'project-access', 'p1'))).toBeLessThanOrEqual(30);
    await cache.invalidate(tenantA, [['project-access', 'p1']]);
    await expect(roleOf('ada')).resolves.toBe('ada-3');
    await expect(roleOf('bob')).resolves.toBe('bob-4');
  });

  it("lists and purges one tenant's keys and leaves the other tenant's alone", async () => {
    for (let i = 0; i < 1200; i += 1) await redis.set(tenantKey(tenantA, 'item', String(i)), '1');
    await redis.set(tenantKey(tenantB, 'org', 'plan'), '"basic"');
    expect((await cache.listKeys(tenantA)).length).toBeGreaterThanOrEqual(1200);
    expect(await cache.listKeys(tenantB)).toEqual([tenantKey(tenantB, 'org', 'plan')]);
    expect(await cache.purgeTenant(tenantA)).toBeGreaterThanOrEqual(1200);
    expect(await cache.listKeys(tenantA)).toEqual([]);
    await expect(redis.get(tenantKey(tenantB, 'org', 'plan'))).resolves.toBe('"basic"');
  });

  it('falls through to the loader when Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => undefined);
    const warnings: string[] = [];
    const offline = createTenantCache(down, { logger: { warn: (_details, message) => warnings.push(message) } });
    await expect(offline.getOrLoad(tenantA, ['org', 'plan'], 60, async () => 'enterprise')).resolves.toBe('enterprise');
    await expect(offline.invalidate(tenantA, [['org', 'plan']])).resolves.toBeUndefined();
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    down.disconnect();
  });
});
