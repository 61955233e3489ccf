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

/** Creates a {@link ShardRouter}. */
export function createShardRouter(options: ShardRouterOptions): ShardRouter {
  const shards = [...options.shards];
  const byId = new Map(shards.map((shard) => [shard.id, shard]));
  return {
    shards,
    async shardFor(tenantId) {
      const hash = tenantHash64(tenantId);
      const pinned = await options.placements.lookup(tenantId);
      if (pinned !== undefined) {
        const shard = byId.get(pinned);
        if (shard === undefined) {
          throw new AppError({
            kind: 'INTERNAL',
            code: 'SHARD_PLACEMENT_UNKNOWN',
            message: `Tenant placement names shard "${pinned}", which is not in the shard map`,
          });
        }
        return shard;
      }
      const shard = shards[jumpConsistentHash(hash, shards.length)];
      if (shard === undefined) throw new RangeError('jump hash returned a bucket outside the shard map');
      return shard;
    },
  };
}
