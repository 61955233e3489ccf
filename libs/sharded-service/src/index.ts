export { openShardedService } from './sharded-service';
export type { ShardedService, ShardedServiceBaseConfig } from './sharded-service';
export { createShardUnavailableMiddleware } from './shard-unavailable.middleware';
