import { randomUUID } from 'node:crypto';
import { withShardCredentials } from '@bulkhead/config';
import { AgentServiceClient, OrgServiceClient, ProjectServiceClient, WorkflowServiceService, WorkloadTokenServiceClient } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { openShardedService } from '@bulkhead/sharded-service';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
import { Pool } from 'pg';
import { createAgentDirectory, createAgentInvoker, createServiceTokenSource } from './agents/agent-service.client';
import { createProjectAccess } from './definitions/project-access';
import { createWorkflowsService } from './definitions/workflows.service';
import { createRunsService } from './runs/runs.service';
import type { WorkflowConfig } from './workflow.config';
import { createWorkflowHandlers } from './workflow.handlers';
import { startScheduler, type Scheduler } from './workers/scheduler';

/** The workflow service's migrations scope. */
export const WORKFLOW_MIGRATIONS_SCOPE = 'workflow';

export interface WorkflowServer extends RunningService {
  port: number;
}

/**
 * The workflow service: WorkflowService over gRPC behind token verification, and (unless
 * WORKERS_ENABLED is off) the workers that advance runs on every shard (ADR 0006), their
 * scheduler a supervised loop reflected in the gRPC health (ADR 0012).
 */
export async function startWorkflowServer(config: WorkflowConfig, { logger, registry, supervisor }: ServiceDependencies): Promise<WorkflowServer> {
  const base = await openShardedService(config, WORKFLOW_MIGRATIONS_SCOPE, { logger, registry });
  const { db } = base;
  const upstream = { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS };
  const projectClient = createGrpcClient(ProjectServiceClient, config.PROJECT_GRPC_ADDRESS, upstream);
  const orgClient = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, upstream);
  const agentClient = createGrpcClient(AgentServiceClient, config.AGENT_GRPC_ADDRESS, upstream);
  const workloadTokens = createGrpcClient(WorkloadTokenServiceClient, config.AUTH_GRPC_ADDRESS, upstream);

  const cache = createTenantCache(base.redis, { logger });
  const plans = createOrgPlanSource(cache, orgClient);
  const projects = createProjectAccess(projectClient, cache);
  const workflows = createWorkflowsService({ db, projects, agents: createAgentDirectory(agentClient), plans });
  let scheduler: Scheduler | undefined;
  const runs = createRunsService({ db, projects, workflows, plans, onRunnable: (tenantId) => scheduler?.notify(tenantId) });
  base.server.addService(WorkflowServiceService, createWorkflowHandlers({ workflows, runs }));
  const port = await base.listen();

  const shards = withShardCredentials(config.SHARD_MAP, { user: config.SHARD_DATABASE_USER, password: config.SHARD_DATABASE_PASSWORD });
  const scanPools = shards.map((shard) => {
    const pool = new Pool({ connectionString: shard.url, max: 1, connectionTimeoutMillis: 2000 });
    pool.on('error', (err) => logger.warn({ err, shard: shard.id }, 'idle scheduler connection failed'));
    return pool;
  });
  if (config.WORKERS_ENABLED) {
    scheduler = startScheduler({
      db,
      scanPools,
      agents: createAgentInvoker(agentClient, createServiceTokenSource(workloadTokens, config.WORKLOAD_KEY)),
      owner: `workflow-${process.pid}-${randomUUID()}`,
      concurrency: config.WORKER_CONCURRENCY,
      pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
      leaseMs: config.STEP_LEASE_MS,
      logger,
      supervisor,
    });
  }
  supervisor.reportTo(base.server.health);

  return {
    port,
    checkReadiness: base.checkReadiness,
    stop: (graceMs) =>
      base.stop(graceMs, async () => {
        await supervisor.stop();
        await scheduler?.stop(graceMs);
        await Promise.all(scanPools.map((pool) => pool.end()));
        closeGrpcClient(projectClient);
        closeGrpcClient(orgClient);
        closeGrpcClient(agentClient);
        closeGrpcClient(workloadTokens);
      }),
  };
}
