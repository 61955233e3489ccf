import { randomUUID } from 'node:crypto';
import { createAccessDeniedAuditMiddleware, shardAuditRecorder } from '@bulkhead/audit';
import { withShardCredentials } from '@bulkhead/config';
import { AgentServiceClient, OrgServiceClient, ProjectServiceClient, WorkflowServiceService, WorkloadTokenServiceClient } from '@bulkhead/contracts';
import { openServiceTenantDatabase } from '@bulkhead/database';
import { closeGrpcClient, composeServerMiddleware, createGrpcClient, createGrpcServer } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
import { createServiceAuthentication } from '@bulkhead/tokens';
import { Redis } from 'ioredis';
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
 * WORKERS_ENABLED is off) the workers that advance runs on every shard (ADR 0006).
 */
export async function startWorkflowServer(config: WorkflowConfig, { logger }: ServiceDependencies): Promise<WorkflowServer> {
  const db = await openServiceTenantDatabase(config, WORKFLOW_MIGRATIONS_SCOPE, (source, err) => logger.warn({ err, source }, 'idle database connection failed'));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  await redis.connect();

  const authentication = createServiceAuthentication({ issuer: config.TOKEN_ISSUER, audience: config.TOKEN_AUDIENCE, authAddress: config.AUTH_GRPC_ADDRESS, redis });
  const upstream = { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS };
  const projectClient = createGrpcClient(ProjectServiceClient, config.PROJECT_GRPC_ADDRESS, upstream);
  const orgClient = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, upstream);
  const agentClient = createGrpcClient(AgentServiceClient, config.AGENT_GRPC_ADDRESS, upstream);
  const workloadTokens = createGrpcClient(WorkloadTokenServiceClient, config.AUTH_GRPC_ADDRESS, upstream);

  const cache = createTenantCache(redis, { logger });
  const plans = createOrgPlanSource(cache, orgClient);
  const projects = createProjectAccess(projectClient, cache);
  const workflows = createWorkflowsService({ db, projects, agents: createAgentDirectory(agentClient), plans });
  let scheduler: Scheduler | undefined;
  const runs = createRunsService({ db, projects, workflows, plans, onRunnable: (tenantId) => scheduler?.notify(tenantId) });

  const deniedAccess = createAccessDeniedAuditMiddleware({ record: shardAuditRecorder(db), logger });
  const server = createGrpcServer({ logger, middleware: composeServerMiddleware(authentication.middleware, deniedAccess) });
  server.addService(WorkflowServiceService, createWorkflowHandlers({ workflows, runs }));
  const port = await server.listen(`0.0.0.0:${config.GRPC_PORT}`);
  logger.info({ grpcPort: port }, 'workflow gRPC listening');

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
    });
  }

  return {
    port,
    checkReadiness: async () => {
      const down: string[] = [];
      await redis.ping().catch(() => down.push('redis'));
      return down;
    },
    stop: async (graceMs) => {
      await server.shutdown({ timeoutMs: graceMs });
      await scheduler?.stop(graceMs);
      await Promise.all(scanPools.map((pool) => pool.end()));
      closeGrpcClient(projectClient);
      closeGrpcClient(orgClient);
      closeGrpcClient(agentClient);
      closeGrpcClient(workloadTokens);
      authentication.close();
      redis.disconnect();
      await db.close();
    },
  };
}
