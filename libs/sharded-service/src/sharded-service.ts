import { createAccessDeniedAuditMiddleware, shardAuditRecorder } from '@bulkhead/audit';
import { openServiceTenantDatabase, type ShardedServiceSettings } from '@bulkhead/database';
import { composeServerMiddleware, createGrpcServer } from '@bulkhead/grpc-kit';
import type { Logger, Registry } from '@bulkhead/observability';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { createShardUnavailableMiddleware } from './shard-unavailable.middleware';

/** The variables every sharded gRPC service reads to start. */
export type ShardedServiceBaseConfig = ShardedServiceSettings & {
  REDIS_URL: string;
  TOKEN_ISSUER: string;
  TOKEN_AUDIENCE: string;
  AUTH_GRPC_ADDRESS: string;
  GRPC_PORT: number;
};

/**
 * What every sharded gRPC service (org, project, agent, workflow) starts with: its tenant
 * database (each shard's migrations checked), Redis, token verification against the auth
 * service's JWKS, and a gRPC server whose RPCs pass token verification and then record their
 * refusals as `access.denied`; every call is measured in `registry`, and calls failed by an
 * unreachable shard are counted by shard. `scope` is the service's migrations scope and its name
 * in logs.
 */
export async function openShardedService(config: ShardedServiceBaseConfig, scope: string, { logger, registry }: { logger: Logger; registry: Registry }) {
  const db = await openServiceTenantDatabase(config, scope, (source, err) => logger.warn({ err, source }, 'idle database connection failed'));
  // Auto-pipelining: the commands issued in one tick (a request's cache reads, concurrent
  // requests') leave in one write, a system call and a wake-up of Redis fewer each.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true, enableAutoPipelining: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (err) {
    await db.close();
    throw err;
  }
  const authentication = createServiceAuthentication({ issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, authAddress: config.AUTH_GRPC_ADDRESS, redis });
  const deniedAccess = createAccessDeniedAuditMiddleware({ record: shardAuditRecorder(db), logger });
  const server = createGrpcServer({
    logger,
    registry,
    middleware: composeServerMiddleware(composeServerMiddleware(authentication.middleware, deniedAccess), createShardUnavailableMiddleware(registry)),
  });

  return {
    db,
    redis,
    server,
    /** Serves on GRPC_PORT once the service's handlers are added; answers the bound port. */
    async listen(): Promise<number> {
      const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
      logger.info({ grpcPort: port }, `${scope} gRPC listening`);
      return port;
    },
    /**
     * Redis only: shards are not probed, so one shard down fails its own tenants (503) instead
     * of taking every pod out of the Service and with it every other tenant.
     */
    async checkReadiness(): Promise<string[]> {
      const down: string[] = [];
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    /**
     * Stops serving (calls in flight get up to `graceMs`), then `release` (the service's own
     * clients and workers), then token verification, Redis and the database.
     */
    async stop(graceMs: number, release: () => void | Promise<void> = () => undefined): Promise<void> {
      await server.shutdown({ timeoutMs: graceMs });
      await release();
      authentication.close();
      redis.disconnect();
      await db.close();
    },
  };
}

export type ShardedService = Awaited<ReturnType<typeof openShardedService>>;
