import type { EnvConfig } from "@bulkhead/config";
import type {
  RunningService,
  ServiceDependencies,
} from "@bulkhead/service-runtime";
import { createServiceAuthentication } from "@bulkhead/tokens";
import { Redis } from "ioredis";
import type { gatewayConfigShape } from "./gateway.config";
import { startGateway } from "./gateway.server";
import { createAuthUpstream } from "./upstream/auth.upstream";
import { createMembershipUpstream } from "./upstream/membership.upstream";
import { createOrgUpstream } from "./upstream/org.upstream";
import { createProjectUpstream } from "./upstream/project.upstream";

/**
 * Builds the gateway's collaborators from its configuration (Redis for the revocation list,
 * token verification, the backends' clients) and starts it. Loaded by main.ts after tracing has
 * started, so ioredis and grpc-js are instrumented.
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
  const gateway = await startGateway(
    {
      httpPort: config.HTTP_PORT,
      upstreams: {
        auth: config.AUTH_GRPC_ADDRESS,
        org: config.ORG_GRPC_ADDRESS,
        project: config.PROJECT_GRPC_ADDRESS,
      },
    },
    {
      ...dependencies,
      verifier: authentication.verifier,
      auth: auth.client,
      org: org.client,
      projects: projects.client,
      membership: membership.client,
    },
  );
  return {
    checkReadiness: gateway.checkReadiness,
    stop: async (graceMs: number) => {
      await gateway.stop(graceMs);
      auth.close();
      org.close();
      projects.close();
      membership.close();
      authentication.close();
      redis.disconnect();
    },
  };
}
