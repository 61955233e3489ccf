export { isUuid, jumpConsistentHash, tenantHash64 } from './jump-hash';
export { createCachedPlacementSource } from './placement-source';
export type { PlacementLookup, PlacementSource } from './placement-source';
export { createShardRouter } from './shard-router';
export type { ShardRouter, ShardRouterOptions } from './shard-router';
export { createInMemoryPlacementSource } from './testing/in-memory-placement-source';
export type { InMemoryPlacementSource } from './testing/in-memory-placement-source';
