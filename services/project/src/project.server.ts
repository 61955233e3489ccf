import { createAccessDeniedAuditMiddleware, shardAuditRecorder } from '@bulkhead/audit';
import { MembershipServiceClient, OrgServiceClient, ProjectServiceService } from '@bulkhead/contracts';
import { openServiceTenantDatabase } from '@bulkhead/database';
import { closeGrpcClient, composeServerMiddleware, createGrpcClient, createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { createMembersService } from './members/members.service';
import type { ProjectConfig } from './project.config';
import { createProjectHandlers } from './project.handlers';
import { createProjectsService } from './projects/projects.service';

/** The project service's migrations scope. */
export const PROJECT_MIGRATIONS_SCOPE = 'project';

/** A started project service; `port` is the bound gRPC port (useful with port 0 in tests). */
export interface ProjectServer extends RunningService {
  port: number;
}

/**
 * The project service: refuses to start unless every shard has its migrations, then serves
 * ProjectService with every RPC behind token verification. Calls to auth (membership) and
 * org (plan) carry the caller's own token.
 */
export async function startProjectServer(config: ProjectConfig, { logger }: ServiceDependencies): Promise<ProjectServer> {
  const db = await openServiceTenantDatabase(config, PROJECT_MIGRATIONS_SCOPE, (source, err) =>
    logger.warn({ err, source }, 'idle database connection failed'),
  );
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();

  const authentication = createServiceAuthentication({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    authAddress: config.AUTH_GRPC_ADDRESS,
    redis,
  });
  const upstream = { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS };
  const membership = createGrpcClient(MembershipServiceClient, config.AUTH_GRPC_ADDRESS, upstream);
  const org = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, upstream);
  const cache = createTenantCache(redis, { logger });
  const plans = createOrgPlanSource(cache, org);

  const deniedAccess = createAccessDeniedAuditMiddleware({ record: shardAuditRecorder(db), logger });
  const server = createGrpcServer({ logger, middleware: composeServerMiddleware(authentication.middleware, deniedAccess) });
  server.addService(
    ProjectServiceService,
    createProjectHandlers({ projects: createProjectsService({ db, plans, cache }), members: createMembersService({ db, membership, cache }) }),
  );
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'project gRPC listening');

  return {
    port,
    // Redis only: shards are not probed, so one shard down fails its own tenants (503) instead
    // of taking every pod out of the Service and with it every other tenant.
    checkReadiness: async () => {
      const down: string[] = [];
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    stop: async (graceMs) => {
      await server.shutdown({ timeoutMs: graceMs });
      closeGrpcClient(membership);
      closeGrpcClient(org);
      authentication.close();
      redis.disconnect();
      await db.close();
    },
  };
}
