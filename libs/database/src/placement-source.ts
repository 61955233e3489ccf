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

/**
 * A {@link PlacementSource} that caches each tenant's answer (including "no override") in
 * memory until {@link PlacementSource.invalidate} is called for it. Concurrent lookups of one
 * tenant share one call; a failed lookup is not cached.
 */
export function createCachedPlacementSource(lookup: PlacementLookup): PlacementSource {
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    lookup(tenantId) {
      const key = tenantId.toLowerCase();
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const pending = lookup(key);
      cache.set(key, pending);
      pending.catch(() => {
        if (cache.get(key) === pending) cache.delete(key);
      });
      return pending;
    },
    invalidate(tenantId) {
      cache.delete(tenantId.toLowerCase());
    },
  };
}
