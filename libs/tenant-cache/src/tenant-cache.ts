import type { Redis } from 'ioredis';
import { tenantKey, tenantKeyPrefix } from './tenant-key';

/** Where cache failures are reported; a pino logger fits. */
export interface CacheLogger {
  warn(details: object, message: string): void;
}

/** Options of {@link createTenantCache}. */
export interface TenantCacheOptions {
  logger?: CacheLogger;
  /** How many keys one SCAN step asks for; default 500. */
  scanCount?: number;
}

/**
 * A per-tenant JSON cache in Redis. Every key is `bh:{<tenantId>}:…` so one tenant's keys can be
 * listed and purged together. The cache is an optimisation, never the source of truth: when
 * Redis fails, reads fall through to the loader and writes and invalidations are logged and
 * skipped (entries expire by their TTL).
 */
export interface TenantCache {
  /** The cached value of the key, or what `load` answers (then cached for `ttlSeconds`). */
  getOrLoad<T>(tenantId: string, parts: readonly string[], ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  /**
   * Like getOrLoad, for one field of a hash entry: fields that go stale together (every user's
   * role in one project) share a key, so one `invalidate` drops them all. The entry expires
   * `ttlSeconds` after its first field was cached.
   */
  getOrLoadField<T>(tenantId: string, parts: readonly string[], field: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  /** Deletes the given keys of the tenant (each a list of parts). */
  invalidate(tenantId: string, keys: readonly (readonly string[])[]): Promise<void>;
  /** Every key of the tenant, found with SCAN (never KEYS). */
  listKeys(tenantId: string): Promise<string[]>;
  /** Deletes every key of the tenant; answers how many were deleted. */
  purgeTenant(tenantId: string): Promise<number>;
}

/** Creates a {@link TenantCache} on an ioredis connection. */
export function createTenantCache(redis: Redis, options: TenantCacheOptions = {}): TenantCache {
  const warn = (err: unknown, operation: string, key: string): void =>
    options.logger?.warn({ err, operation, key }, 'tenant cache unavailable; continuing without it');

  const listKeys = async (tenantId: string): Promise<string[]> => {
    // Braces are not glob characters, and a UUID holds none that are: the prefix matches literally.
    const match = `${tenantKeyPrefix(tenantId)}*`;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', options.scanCount ?? 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return [...new Set(keys)];
  };

  return {
    async getOrLoad<T>(tenantId: string, parts: readonly string[], ttlSeconds: number, load: () => Promise<T>): Promise<T> {
      const key = tenantKey(tenantId, ...parts);
      let cached: string | null = null;
      try {
        cached = await redis.get(key);
      } catch (err) {
        warn(err, 'get', key);
      }
      if (cached !== null) return JSON.parse(cached) as T;
      const value = await load();
      await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds).catch((err: unknown) => warn(err, 'set', key));
      return value;
    },
    async getOrLoadField<T>(tenantId: string, parts: readonly string[], field: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
      const key = tenantKey(tenantId, ...parts);
      let cached: string | null = null;
      try {
        cached = await redis.hget(key, field);
      } catch (err) {
        warn(err, 'hget', key);
      }
      if (cached !== null) return JSON.parse(cached) as T;
      const value = await load();
      await redis
        .multi()
        .hset(key, field, JSON.stringify(value))
        .expire(key, ttlSeconds, 'NX')
        .exec()
        .catch((err: unknown) => warn(err, 'hset', key));
      return value;
    },
    async invalidate(tenantId, keys) {
      if (keys.length === 0) return;
      const names = keys.map((parts) => tenantKey(tenantId, ...parts));
      await redis.del(...names).catch((err: unknown) => warn(err, 'del', names.join(' ')));
    },
    listKeys,
    async purgeTenant(tenantId) {
      const keys = await listKeys(tenantId);
      let deleted = 0;
      for (let i = 0; i < keys.length; i += 500) deleted += await redis.del(...keys.slice(i, i + 500));
      return deleted;
    },
  };
}
