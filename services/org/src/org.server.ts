import { createAccessDeniedAuditMiddleware, shardAuditRecorder } from '@bulkhead/audit';
import { OrgServiceService } from '@bulkhead/contracts';
import { openServiceTenantDatabase } from '@bulkhead/database';
import { composeServerMiddleware, createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createTenantCache } from '@bulkhead/tenant-cache';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import { createInvitationsService } from './invitations/invitations.service';
import { createMembersService } from './members/members.service';
import type { OrgConfig } from './org.config';
import { createOrgHandlers } from './org.handlers';
import { createOrganizationsService } from './organizations/organizations.service';
import { createUpstreams } from './upstream/upstreams';
import { createUsageService } from './usage/usage.service';

/** The org service's migrations scope: `<MIGRATIONS_DIR>/org/migrations/shards`. */
export const ORG_MIGRATIONS_SCOPE = 'org';

/** A started org service; `port` is the bound gRPC port (useful with port 0 in tests). */
export interface OrgServer extends RunningService {
  port: number;
}

/**
 * The org service: refuses to start unless every shard has its migrations, then serves
 * OrgService with every RPC behind token verification. Ready means Redis answers: shards are
 * not probed, so one shard down fails only its own tenants (SHARD_UNAVAILABLE), never the pod.
 */
export async function startOrgServer(config: OrgConfig, { logger }: ServiceDependencies): Promise<OrgServer> {
  const db = await openServiceTenantDatabase(config, ORG_MIGRATIONS_SCOPE, (source, err) =>
    logger.warn({ err, source }, 'idle database connection failed'),
  );
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (err) {
    await db.close();
    throw err;
  }

  const authentication = createServiceAuthentication({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    authAddress: config.AUTH_GRPC_ADDRESS,
    redis,
  });
  const upstreams = createUpstreams({ auth: config.AUTH_GRPC_ADDRESS, project: config.PROJECT_GRPC_ADDRESS });
  const cache = createTenantCache(redis, { logger });
  const organizations = createOrganizationsService({ db, cache, upstreams });
  const members = createMembersService({ upstreams });
  const invitations = createInvitationsService({ db, members });
  const usage = createUsageService({ organizations, members, upstreams });

  const deniedAccess = createAccessDeniedAuditMiddleware({ record: shardAuditRecorder(db), logger });
  const server = createGrpcServer({ logger, middleware: composeServerMiddleware(authentication.middleware, deniedAccess) });
  server.addService(OrgServiceService, createOrgHandlers({ organizations, members, invitations, usage }));
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'org gRPC listening');

  return {
    port,
    checkReadiness: async () => {
      const down: string[] = [];
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    stop: async (graceMs) => {
      await server.shutdown({ timeoutMs: graceMs });
      authentication.close();
      upstreams.close();
      redis.disconnect();
      await db.close();
    },
  };
}
