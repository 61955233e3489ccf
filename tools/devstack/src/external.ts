import { loadConfig, envFields, shardMapField } from '@bulkhead/config';
import type { DevstackEnv } from '@bulkhead/testkit';

/** Set and not blank: `REDIS_URL= npm run devstack -- up` means "not given". */
function isGiven(env: NodeJS.ProcessEnv, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/** PostgreSQL as given by the environment: servers are named by their `host:port`. */
export type ExternalPostgresEnv = Pick<DevstackEnv, 'postgresServers' | 'shards' | 'identityDatabase' | 'auditDatabase' | 'auditRelay' | 'placementDatabaseUrl'>;

/**
 * PostgreSQL given by the environment: used as-is when `SHARD_MAP` is set, and then every
 * related variable must be set too (a half-given setup is refused by name). A shard missing
 * from `SHARD_OWNER_MAP` is migrated through its service URL.
 */
export function externalPostgres(env: NodeJS.ProcessEnv): ExternalPostgresEnv | undefined {
  if (!isGiven(env, 'SHARD_MAP')) return undefined;
  const pg = envFields.url(['postgres', 'postgresql']);
  const config = loadConfig(
    {
      SHARD_MAP: shardMapField(),
      SHARD_OWNER_MAP: shardMapField(),
      IDENTITY_DATABASE_URL: pg,
      IDENTITY_DATABASE_OWNER_URL: pg,
      AUDIT_DATABASE_URL: pg,
      AUDIT_DATABASE_OWNER_URL: pg,
      PLACEMENT_DATABASE_URL: pg,
      RELAY_DATABASE_USER: envFields.string(),
      RELAY_DATABASE_PASSWORD: envFields.string(),
    },
    env,
  );
  const serverOf = (url: string): string => new URL(url).host;
  const owners = new Map(config.SHARD_OWNER_MAP.map((s) => [s.id, s.url]));
  const urls = [...config.SHARD_MAP.map((s) => s.url), config.IDENTITY_DATABASE_URL, config.AUDIT_DATABASE_URL];
  return {
    postgresServers: [...new Set(urls.map(serverOf))].map((id) => ({ id })),
    shards: config.SHARD_MAP.map((s) => ({ id: s.id, server: serverOf(s.url), url: s.url, ownerUrl: owners.get(s.id) ?? s.url })),
    identityDatabase: { server: serverOf(config.IDENTITY_DATABASE_URL), url: config.IDENTITY_DATABASE_URL, ownerUrl: config.IDENTITY_DATABASE_OWNER_URL },
    auditDatabase: { server: serverOf(config.AUDIT_DATABASE_URL), url: config.AUDIT_DATABASE_URL, ownerUrl: config.AUDIT_DATABASE_OWNER_URL },
    auditRelay: { user: config.RELAY_DATABASE_USER, password: config.RELAY_DATABASE_PASSWORD },
    placementDatabaseUrl: config.PLACEMENT_DATABASE_URL,
  };
}

/** Redis given by `REDIS_URL`, if set. */
export function externalRedis(env: NodeJS.ProcessEnv): string | undefined {
  return !isGiven(env, 'REDIS_URL') ? undefined : loadConfig({ REDIS_URL: envFields.url(['redis', 'rediss']) }, env).REDIS_URL;
}

/** Kafka given by `KAFKA_BROKERS` (comma-separated `host:port`), if set. */
export function externalKafka(env: NodeJS.ProcessEnv): string[] | undefined {
  return !isGiven(env, 'KAFKA_BROKERS') ? undefined : loadConfig({ KAFKA_BROKERS: envFields.list() }, env).KAFKA_BROKERS;
}
