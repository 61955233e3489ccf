import path from 'node:path';
import { withShardCredentials, type EnvConfig, type ShardMap, type shardedServiceConfigShape } from '@bulkhead/config';
import { Pool } from 'pg';
import { assertMigrated } from './migration-runner';
import { createCachedPlacementSource, pgPlacementLookup, type PlacementSource } from './placement-source';
import { createShardPools } from './shard-pools';
import { createShardRouter, type ShardRouter } from './shard-router';
import { createTenantDatabase, type TenantDatabase } from './with-tenant';

/** Options of {@link openTenantDatabase}: a sharded service's configuration, mostly. */
export interface OpenTenantDatabaseOptions {
  shards: ShardMap;
  /** Filled into shard URLs without a user. */
  credentials?: { user?: string | undefined; password?: string | undefined };
  /** The most connections to one PostgreSQL server, shared by its shards. */
  maxPerServer: number;
  /** The identity database, where `tenant_placements` is read. */
  placementDatabaseUrl: string;
  placementCacheTtlMs: number;
  /** The service's shard migrations (`<MIGRATIONS_DIR>/<scope>/migrations/shards`) and scope. */
  migrationsDir: string;
  scope: string;
  onIdleError?: (source: string, err: Error) => void;
}

/** A sharded service's way to its tenants' data, and what it must close. */
export interface OpenedTenantDatabase extends TenantDatabase {
  readonly router: ShardRouter;
  readonly placements: PlacementSource;
  close(): Promise<void>;
}

/**
 * Opens the shard data access of a service: refuses (FAILED_PRECONDITION `SHARD_NOT_MIGRATED`,
 * naming the shard) unless every shard has the service's migrations, then routes tenants by
 * hash and placement overrides over lazily opened, bounded pools. Shards are not probed for
 * readiness afterwards: one shard down fails its own tenants only (SHARD_UNAVAILABLE).
 */
export async function openTenantDatabase(options: OpenTenantDatabaseOptions): Promise<OpenedTenantDatabase> {
  const shards = withShardCredentials(options.shards, options.credentials ?? {});
  await assertMigrated({ shards, migrationsDir: options.migrationsDir, scope: options.scope });
  const placementPool = new Pool({ connectionString: options.placementDatabaseUrl, max: 2, connectionTimeoutMillis: 2000 });
  placementPool.on('error', (err) => options.onIdleError?.('placements', err));
  const placements = createCachedPlacementSource(pgPlacementLookup(placementPool), { ttlMs: options.placementCacheTtlMs });
  const router = createShardRouter({ shards, placements });
  const pools = createShardPools({
    shards,
    maxPerServer: options.maxPerServer,
    ...(options.onIdleError === undefined ? {} : { onIdleError: options.onIdleError }),
  });
  const database = createTenantDatabase({ router, pools });
  return {
    withTenant: database.withTenant,
    queryWithTenant: database.queryWithTenant,
    router,
    placements,
    async close() {
      await Promise.all([pools.close(), placementPool.end()]);
    },
  };
}

/** Where a service's shard migrations live: `<migrationsRoot>/<scope>/migrations/shards`. */
export function shardMigrationsDir(migrationsRoot: string, scope: string): string {
  return path.resolve(migrationsRoot, scope, 'migrations', 'shards');
}

/** The variables of `shardedServiceConfigShape` that {@link openServiceTenantDatabase} reads. */
export type ShardedServiceSettings = Pick<
  EnvConfig<typeof shardedServiceConfigShape>,
  'SHARD_MAP' | 'SHARD_DATABASE_USER' | 'SHARD_DATABASE_PASSWORD' | 'SHARD_SERVER_POOL_SIZE' | 'PLACEMENT_DATABASE_URL' | 'PLACEMENT_CACHE_TTL_MS' | 'MIGRATIONS_DIR'
>;

/** {@link openTenantDatabase} for a sharded service, from its configuration and migrations scope. */
export function openServiceTenantDatabase(
  config: ShardedServiceSettings,
  scope: string,
  onIdleError?: (source: string, err: Error) => void,
): Promise<OpenedTenantDatabase> {
  return openTenantDatabase({
    shards: config.SHARD_MAP,
    credentials: { user: config.SHARD_DATABASE_USER, password: config.SHARD_DATABASE_PASSWORD },
    maxPerServer: config.SHARD_SERVER_POOL_SIZE,
    placementDatabaseUrl: config.PLACEMENT_DATABASE_URL,
    placementCacheTtlMs: config.PLACEMENT_CACHE_TTL_MS,
    migrationsDir: shardMigrationsDir(config.MIGRATIONS_DIR, scope),
    scope,
    ...(onIdleError === undefined ? {} : { onIdleError }),
  });
}
