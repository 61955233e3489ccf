import { BoundedMap } from '@bulkhead/bounded-map';
import type { Shard, ShardMap } from '@bulkhead/config';
import { AppError } from '@bulkhead/errors';
import { jumpConsistentHash, tenantHash64 } from './jump-hash';
import type { PlacementSource } from './placement-source';

/** Options of {@link createShardRouter}. */
export interface ShardRouterOptions {
  /** The ordered shard map; shards are only ever appended. */
  shards: ShardMap;
  /** Placement overrides, consulted before the hash. */
  placements: PlacementSource;
}

/** Picks the shard that holds a tenant's data. */
export interface ShardRouter {
  /** The shard map this router routes over. */
  readonly shards: ShardMap;
  /**
   * The tenant's shard: its placement override when it has one, otherwise
   * `jumpConsistentHash(tenantHash64(tenantId), shards.length)`. Throws INVALID_ARGUMENT for a
   * tenant id that is not a UUID, INTERNAL when an override names a shard not in the map.
   */
  shardFor(tenantId: string): Promise<Shard>;
}

/** Tenants whose hashed shard a router remembers. */
const HASHED_TENANTS_KEPT = 100_000;

/** Creates a {@link ShardRouter}. */
export function createShardRouter(options: ShardRouterOptions): ShardRouter {
  const shards = [...options.shards];
  const byId = new Map(shards.map((shard) => [shard.id, shard]));
  // The hashed shard of a tenant never changes for this map: computed (SHA-256 and the jump) once
  // per tenant seen, not on every unit of work. Bounded: past the limit the oldest is forgotten.
  const hashed = new BoundedMap<string, Shard>(HASHED_TENANTS_KEPT);
  const hashedShardOf = (tenantId: string): Shard => {
    const known = hashed.get(tenantId);
    if (known !== undefined) return known;
    const shard = shards[jumpConsistentHash(tenantHash64(tenantId), shards.length)];
    if (shard === undefined) throw new RangeError('jump hash returned a bucket outside the shard map');
    hashed.set(tenantId, shard);
    return shard;
  };
  return {
    shards,
    async shardFor(tenantId) {
      // Validates the id (INVALID_ARGUMENT) before any placement lookup.
      const shard = hashedShardOf(tenantId);
      const pinned = await options.placements.lookup(tenantId);
      if (pinned === undefined) return shard;
      const placed = byId.get(pinned);
      if (placed === undefined) {
        throw new AppError({
          kind: 'INTERNAL',
          code: 'SHARD_PLACEMENT_UNKNOWN',
          message: `Tenant placement names shard "${pinned}", which is not in the shard map`,
        });
      }
      return placed;
    },
  };
}
