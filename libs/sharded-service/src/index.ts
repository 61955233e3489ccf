export { openShardedService } from './sharded-service';
export type { ShardedService, ShardedServiceBaseConfig } from './sharded-service';
