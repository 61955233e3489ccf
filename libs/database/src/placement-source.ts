import type { QueryResultRow } from 'pg';

/**
 * Where placement overrides (tenant → shard id) come from: a port. The identity database holds
 * them in production; {@link createCachedPlacementSource} puts a cache in front of any lookup.
 */
export interface PlacementSource {
  /** The shard id a tenant is pinned to, or `undefined` when it follows the hash. */
  lookup(tenantId: string): Promise<string | undefined>;
  /** Forgets the cached placement of one tenant (call it after a tenant move flips it). */
  invalidate(tenantId: string): void;
}

/** Reads one tenant's placement override from its store, uncached. */
export type PlacementLookup = (tenantId: string) => Promise<string | undefined>;

/** Options of {@link createCachedPlacementSource}. */
export interface CachedPlacementSourceOptions {
  /** How long an answer is reused; default: until invalidated. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * A {@link PlacementSource} that caches each tenant's answer (including "no override") in
 * memory for `ttlMs` or until {@link PlacementSource.invalidate} is called for it. Concurrent
 * lookups of one tenant share one call; a failed lookup is not cached.
 */
export function createCachedPlacementSource(lookup: PlacementLookup, options: CachedPlacementSourceOptions = {}): PlacementSource {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
  const cache = new Map<string, Promise<string | undefined>>();
  const cachedAt = new Map<string, number>();
  return {
    lookup(tenantId) {
      const key = tenantId.toLowerCase();
      const cached = cache.get(key);
      if (cached !== undefined && now() - (cachedAt.get(key) ?? 0) < ttlMs) return cached;
      const pending = lookup(key);
      cache.set(key, pending);
      cachedAt.set(key, now());
      pending.catch(() => {
        if (cache.get(key) === pending) cache.delete(key);
      });
      return pending;
    },
    invalidate(tenantId) {
      cache.delete(tenantId.toLowerCase());
      cachedAt.delete(tenantId.toLowerCase());
    },
  };
}

/** Reads placement overrides from the identity database's `tenant_placements` table. */
export function pgPlacementLookup(pool: Queryable): PlacementLookup {
  return async (tenantId) => {
    const { rows } = await pool.query<{ shard_id: string }>('SELECT shard_id FROM tenant_placements WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.shard_id;
  };
}

/** The one method of `pg.Pool` a placement lookup needs. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values: unknown[]): Promise<{ rows: R[] }>;
}
