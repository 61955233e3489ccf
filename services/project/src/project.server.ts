import { MembershipServiceClient, OrgServiceClient, ProjectServiceService } from '@bulkhead/contracts';
import { closeGrpcClient, createGrpcClient } from '@bulkhead/grpc-kit';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { openShardedService } from '@bulkhead/sharded-service';
import { createOrgPlanSource, createTenantCache } from '@bulkhead/tenant-cache';
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
export async function startProjectServer(config: ProjectConfig, { logger, registry }: Pick<ServiceDependencies, 'logger' | 'registry'>): Promise<ProjectServer> {
  const base = await openShardedService(config, PROJECT_MIGRATIONS_SCOPE, { logger, registry });
  const { db } = base;
  const upstream = { defaultDeadlineMs: config.UPSTREAM_DEADLINE_MS };
  const membership = createGrpcClient(MembershipServiceClient, config.AUTH_GRPC_ADDRESS, upstream);
  const org = createGrpcClient(OrgServiceClient, config.ORG_GRPC_ADDRESS, upstream);
  const cache = createTenantCache(base.redis, { logger });
  const plans = createOrgPlanSource(cache, org);
  base.server.addService(
    ProjectServiceService,
    createProjectHandlers({ projects: createProjectsService({ db, plans, cache }), members: createMembersService({ db, membership, cache }) }),
  );

  return {
    port: await base.listen(),
    checkReadiness: base.checkReadiness,
    stop: (graceMs) =>
      base.stop(graceMs, () => {
        closeGrpcClient(membership);
        closeGrpcClient(org);
      }),
  };
}
