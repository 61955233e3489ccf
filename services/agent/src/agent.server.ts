import { createAccessDeniedAuditMiddleware, shardAuditRecorder } from '@bulkhead/audit';
import { AgentServiceService, OrgServiceClient } from '@bulkhead/contracts';
import { openServiceTenantDatabase } from '@bulkhead/database';
import { closeGrpcClient, composeServerMiddleware, createGrpcClient, createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
import type { AgentConfig } from './agent.config';
import { createAgentHandlers } from './agent.handlers';
import { createAgentsService } from './agents/agents.service';
import { createCredentialEnvelope } from './credentials/envelope';
import { createAgentRunner } from './kinds/agent-runner';
import { createEgressGuard } from './kinds/egress-guard';

/** The agent service's migrations scope. */
export const AGENT_MIGRATIONS_SCOPE = 'agent';

export interface AgentServer extends RunningService {
  port: number;
}

/** The agent service: AgentService over gRPC behind token verification, on the tenants' shards. */
export async function startAgentServer(config: AgentConfig, { logger }: ServiceDependencies): Promise<AgentServer> {
  const db = await openServiceTenantDatabase(config, AGENT_MIGRATIONS_SCOPE, (source, err) => logger.warn({ err, source }, 'idle database connection failed'));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();

  const authentication = createServiceAuthentication({ issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, authAddress: config.AUTH_GRPC_ADDRESS, redis });
  const org = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS });
  const agents = createAgentsService({
    db,
    plans: createOrgPlanSource(createTenantCache(redis, { logger }), org),
    envelope: createCredentialEnvelope(config.AGENT_MASTER_KEY),
    runner: createAgentRunner({ db, guard: createEgressGuard(config.AGENT_EGRESS_ALLOW), maxResponseBytes: config.AGENT_HTTP_MAX_RESPONSE_BYTES }),
  });

  const deniedAccess = createAccessDeniedAuditMiddleware({ record: shardAuditRecorder(db), logger });
  const server = createGrpcServer({ logger, middleware: composeServerMiddleware(authentication.middleware, deniedAccess) });
  server.addService(AgentServiceService, createAgentHandlers(agents));
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'agent gRPC listening');

  return {
    port,
    checkReadiness: async () => {
      const down: string[] = [];
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    stop: async (graceMs) => {
      await server.shutdown({ timeoutMs: graceMs });
      closeGrpcClient(org);
      authentication.close();
      redis.disconnect();
      await db.close();
    },
  };
}
