import type { ShardMap } from '@bulkhead/config';
import { Pool, type PoolClient } from 'pg';
import { isConnectionError, shardUnavailable } from './shard-unavailable';

/** Options of {@link createShardPools}. */
export interface ShardPoolsOptions {
  /** The shards, with the service role's URLs. */
  shards: ShardMap;
  /**
   * The most connections the process opens to one PostgreSQL server, shared evenly by the shards
   * it holds (at least one each; see {@link poolSizesOf}); default 10.
   */
  maxPerServer?: number;
  /** How long to wait for a connection before the shard counts as unavailable; default 2000. */
  connectionTimeoutMs?: number;
  /** Called with errors of idle connections (a shard restarting); default: ignored. */
  onIdleError?: (shardId: string, err: Error) => void;
}

/**
 * One bounded `pg.Pool` per shard, each created on first use, of pipelined connections (pg's
 * pipeline mode: queued statements are written without waiting for earlier answers). The pools
 * are used only through a `TenantDatabase` (see `createTenantDatabase`), so no query can run
 * outside `withTenant`.
 */
export interface ShardPools {
  /** Ends every pool that was created; waits for their connections to close. */
  close(): Promise<void>;
}

/** Checks a connection out of a shard's pool; internal to this library. */
export type AcquireShardClient = (shardId: string) => Promise<PoolClient>;

const acquirers = new WeakMap<ShardPools, AcquireShardClient>();

/** The server a shard's database lives on: the host and port of its URL. */
function serverOf(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port === '' ? '5432' : port}`;
}

/**
 * Each shard's pool size: `maxPerServer` split evenly among the shards on the same server (its
 * URL's host and port), rounded down, at least one. A process's connections to a server then stay
 * within its budget however many shard databases the server holds; backends past what a server's
 * cores can run add contention, not throughput (ADR 0008).
 */
export function poolSizesOf(shards: ShardMap, maxPerServer: number): Map<string, number> {
  const servers = shards.map((shard) => serverOf(shard.url));
  const shardsOn = new Map<string, number>();
  for (const server of servers) shardsOn.set(server, (shardsOn.get(server) ?? 0) + 1);
  return new Map(shards.map((shard, i) => [shard.id, Math.max(1, Math.floor(maxPerServer / (shardsOn.get(servers[i] ?? '') ?? 1)))]));
}

/** Creates the {@link ShardPools} of a process. */
export function createShardPools(options: ShardPoolsOptions): ShardPools {
  const urls = new Map(options.shards.map((shard) => [shard.id, shard.url]));
  const sizes = poolSizesOf(options.shards, options.maxPerServer ?? 10);
  const pools = new Map<string, Pool>();
  let closed = false;

  const poolFor = (shardId: string): Pool => {
    const existing = pools.get(shardId);
    if (existing !== undefined) return existing;
    const url = urls.get(shardId);
    const size = sizes.get(shardId);
    if (url === undefined || size === undefined) throw new RangeError(`unknown shard "${shardId}"`);
    const pool = new Pool({
      connectionString: url,
      max: size,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 2000,
      // withTenant sends BEGIN, set_config and the first statement without waiting in between.
      pipeline: true,
      // Statements are prepared per connection (with-tenant.ts); plan each once, for any tenant.
      // A custom plan, made anew on every call, estimates the tenant's rows from the statistics,
      // and a tenant they have not seen yet (a new one's first burst) counts as one row: the
      // planner then scans all its rows by tenant_id instead of looking ids up (ADR 0007).
      options: '-c plan_cache_mode=force_generic_plan',
    });
    // An idle connection dropped by a restarting shard must not crash the process.
    pool.on('error', (err) => options.onIdleError?.(shardId, err));
    pools.set(shardId, pool);
    return pool;
  };

  const pools$: ShardPools = {
    async close() {
      closed = true;
      const ending = [...pools.values()].map((pool) => pool.end());
      pools.clear();
      await Promise.all(ending);
    },
  };
  acquirers.set(pools$, async (shardId) => {
    if (closed) throw new Error('shard pools are closed');
    try {
      return await poolFor(shardId).connect();
    } catch (err) {
      throw isConnectionError(err) ? shardUnavailable(shardId, err) : err;
    }
  });
  return pools$;
}

/** The connection checkout of pools made by {@link createShardPools}; internal to this library. */
export function acquirerOf(pools: ShardPools): AcquireShardClient {
  const acquire = acquirers.get(pools);
  if (acquire === undefined) throw new TypeError('not a ShardPools created by createShardPools');
  return acquire;
}
