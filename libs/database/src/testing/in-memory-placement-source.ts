import { createCachedPlacementSource, type PlacementSource } from '../placement-source';

/** A {@link PlacementSource} backed by a map, for tests; `pin`/`unpin` change the store. */
export interface InMemoryPlacementSource extends PlacementSource {
  /** Pins a tenant to a shard in the store (the cache still holds the old answer until invalidated). */
  pin(tenantId: string, shardId: string): void;
  /** Removes a tenant's override from the store. */
  unpin(tenantId: string): void;
}

/** Creates an {@link InMemoryPlacementSource}, optionally seeded with overrides. */
export function createInMemoryPlacementSource(initial: Readonly<Record<string, string>> = {}): InMemoryPlacementSource {
  const store = new Map(Object.entries(initial).map(([tenantId, shardId]) => [tenantId.toLowerCase(), shardId]));
  const cached = createCachedPlacementSource(async (tenantId) => store.get(tenantId));
  return {
    lookup: (tenantId) => cached.lookup(tenantId),
    invalidate: (tenantId) => cached.invalidate(tenantId),
    pin(tenantId, shardId) {
      store.set(tenantId.toLowerCase(), shardId);
    },
    unpin(tenantId) {
      store.delete(tenantId.toLowerCase());
    },
  };
}
