export { ConfigError } from './config-error';
export type { ConfigIssue } from './config-error';
export { envFields } from './env-fields';
export { loadConfig, loadConfigOrExit } from './load-config';
export type { EnvConfig, EnvSchemaShape } from './load-config';
export { shardMapField, shardMapSchema, shardSchema, withShardCredentials } from './shard-map';
export type { Shard, ShardMap } from './shard-map';
export { serviceConfigShape, shardedServiceConfigShape, tokenConfigShape } from './service-config';
