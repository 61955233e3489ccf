import { AgentServiceService, OrgServiceClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { openShardedService } from '@bulkhead/sharded-service';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
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
export async function startAgentServer(config: AgentConfig, { logger, registry }: ServiceDependencies): Promise<AgentServer> {
  const base = await openShardedService(config, AGENT_MIGRATIONS_SCOPE, { logger, registry });
  const { db } = base;
  const org = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS });
  const agents = createAgentsService({
    db,
    plans: createOrgPlanSource(createTenantCache(base.redis, { logger }), org),
    envelope: createCredentialEnvelope(config.AGENT_MASTER_KEY),
    runner: createAgentRunner({ db, guard: createEgressGuard(config.AGENT_EGRESS_ALLOW), maxResponseBytes: config.AGENT_HTTP_MAX_RESPONSE_BYTES }),
  });
  base.server.addService(AgentServiceService, createAgentHandlers(agents));

  return {
    port: await base.listen(),
    checkReadiness: base.checkReadiness,
    stop: (graceMs) => base.stop(graceMs, () => closeGrpcClient(org)),
  };
}
