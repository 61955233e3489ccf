import type { EnvConfig } from "@bulkhead/config";
import type {
  RunningService,
  ServiceDependencies,
} from "@bulkhead/service-runtime";
import { createTenantCache } from "@bulkhead/tenant-cache";
import { createServiceAuthentication } from "@bulkhead/tokens";
import { Redis } from "ioredis";
import type { CallerGuard } from "./authentication/authentication.hooks";
import type { gatewayConfigShape } from "./gateway.config";
import { startGateway } from "./gateway.server";
import { startGrpcEdge } from "./grpc-edge/grpc-edge.server";
import { createRedisIdempotencyStore } from "./idempotency/idempotency-store";
import { startGatewayAudit } from './audit-events/gateway-audit';
import { requestsPerMinuteOf } from "./rate-limit/rate-limit.config";
import { createRedisTokenBucket } from "./rate-limit/redis-token-bucket";
import { createTenantPlans } from "./rate-limit/tenant-plans";
import {
  createRateLimitGuard,
  createTenantRateLimiter,
} from "./rate-limit/tenant-rate-limit";
import {
  createRedisSlugCache,
  createSlugResolver,
} from "./subdomains/slug-resolver";
import { createSubdomainGuard } from "./subdomains/subdomain.guard";
import { createAgentUpstream } from "./upstream/agent.upstream";
import { createAuditUpstream } from "./upstream/audit.upstream";
import { createAuthUpstream } from "./upstream/auth.upstream";
import { createMembershipUpstream } from "./upstream/membership.upstream";
import { createOrgUpstream } from "./upstream/org.upstream";
import { createProjectUpstream } from "./upstream/project.upstream";
import { createWorkflowUpstream } from "./upstream/workflow.upstream";

/**
 * Builds the gateway's collaborators from its configuration (Redis for the revocation list,
 * rate limits and caches, token verification, the backends' clients, the checks every
 * authenticated request passes) and starts the REST app and the gRPC edge. Loaded by main.ts
 * after tracing has started, so ioredis and grpc-js are instrumented.
 */
export async function bootstrapGateway(
  config: EnvConfig<typeof gatewayConfigShape>,
  dependencies: ServiceDependencies,
): Promise<RunningService> {
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
  });
  // ioredis reconnects by itself; without a listener it prints each failure to stderr, outside the JSON logs.
  redis.on("error", (err: Error) =>
    dependencies.logger.warn({ err }, "redis connection failed"),
  );
  const authentication = createServiceAuthentication({
    issuer: config.TOKEN_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    authAddress: config.AUTH_GRPC_ADDRESS,
    redis,
  });
  const auth = createAuthUpstream(
    config.AUTH_GRPC_ADDRESS,
    config.UPSTREAM_DEADLINE_MS,
  );
  const org = createOrgUpstream(
    config.ORG_GRPC_ADDRESS,
    config.UPSTREAM_DEADLINE_MS,
  );
  const projects = createProjectUpstream(
    config.PROJECT_GRPC_ADDRESS,
    config.UPSTREAM_DEADLINE_MS,
  );
  const membership = createMembershipUpstream(
    config.AUTH_GRPC_ADDRESS,
    config.UPSTREAM_DEADLINE_MS,
  );
  const audit =
    config.AUDIT_GRPC_ADDRESS === undefined
      ? undefined
      : createAuditUpstream(config.AUDIT_GRPC_ADDRESS, config.UPSTREAM_DEADLINE_MS);
  const agents = config.AGENT_GRPC_ADDRESS === undefined ? undefined : createAgentUpstream(config.AGENT_GRPC_ADDRESS, config.UPSTREAM_DEADLINE_MS);
  const workflows = config.WORKFLOW_GRPC_ADDRESS === undefined ? undefined : createWorkflowUpstream(config.WORKFLOW_GRPC_ADDRESS, config.UPSTREAM_DEADLINE_MS);
  const { logger, registry, supervisor } = dependencies;
  const gatewayAudit = startGatewayAudit(
    {
      brokers: config.KAFKA_BROKERS,
      topic: config.AUDIT_TOPIC,
      sampleWindowSeconds: config.AUDIT_RATE_LIMIT_SAMPLE_SECONDS,
      maxQueued: config.AUDIT_RATE_LIMIT_QUEUE_SIZE,
    },
    { redis, logger, registry, supervisor },
  );
  const rateLimit = createTenantRateLimiter({
    bucket: createRedisTokenBucket(redis),
    plans: createTenantPlans({
      cache: createTenantCache(redis, { logger }),
      org: org.client,
      logger,
    }),
    requestsPerMinute: requestsPerMinuteOf(config),
    logger,
    registry,
    audit: gatewayAudit,
  });
  const callerGuards: CallerGuard[] = [createRateLimitGuard(rateLimit)];
  if (config.BASE_DOMAIN !== undefined) {
    const slugs = createSlugResolver({
      cache: createRedisSlugCache(redis, logger),
      membership: membership.client,
    });
    callerGuards.push(
      createSubdomainGuard({ baseDomain: config.BASE_DOMAIN, slugs }),
    );
  }
  const gateway = await startGateway(
    {
      httpPort: config.HTTP_PORT,
      upstreams: {
        auth: config.AUTH_GRPC_ADDRESS,
        org: config.ORG_GRPC_ADDRESS,
        project: config.PROJECT_GRPC_ADDRESS,
        ...(config.AUDIT_GRPC_ADDRESS === undefined ? {} : { audit: config.AUDIT_GRPC_ADDRESS }),
        ...(config.AGENT_GRPC_ADDRESS === undefined ? {} : { agent: config.AGENT_GRPC_ADDRESS }),
        ...(config.WORKFLOW_GRPC_ADDRESS === undefined ? {} : { workflow: config.WORKFLOW_GRPC_ADDRESS }),
      },
    },
    {
      ...dependencies,
      verifier: authentication.verifier,
      auth: auth.client,
      org: org.client,
      projects: projects.client,
      membership: membership.client,
      ...(audit === undefined ? {} : { audit: audit.client }),
      ...(agents === undefined ? {} : { agents: agents.client }),
      ...(workflows === undefined ? {} : { workflows: workflows.client }),
      callerGuards,
      idempotencyStore: createRedisIdempotencyStore(redis),
      deniedAudit: gatewayAudit,
    },
  );
  const edge = await startGrpcEdge(
    {
      port: config.GRPC_PORT,
      backends: {
        auth: config.AUTH_GRPC_ADDRESS,
        org: config.ORG_GRPC_ADDRESS,
        project: config.PROJECT_GRPC_ADDRESS,
        workflow: config.WORKFLOW_GRPC_ADDRESS,
        agent: config.AGENT_GRPC_ADDRESS,
        audit: config.AUDIT_GRPC_ADDRESS,
      },
      deadlineMs: config.UPSTREAM_DEADLINE_MS,
    },
    { logger, registry, verifier: authentication.verifier, auth: auth.client, rateLimit },
  );
  return {
    checkReadiness: gateway.checkReadiness,
    stop: async (graceMs: number) => {
      await Promise.all([gateway.stop(graceMs), edge.stop(graceMs)]);
      auth.close();
      org.close();
      projects.close();
      membership.close();
      audit?.close();
      agents?.close();
      workflows?.close();
      await gatewayAudit?.close();
      authentication.close();
      redis.disconnect();
    },
  };
}
