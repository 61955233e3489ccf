import { OrgServiceService } from '@bulkhead/contracts';
import type { RunningService, ServiceDependencies } from '@bulkhead/service-runtime';
import { openShardedService } from '@bulkhead/sharded-service';
import { createTenantCache } from '@bulkhead/tenant-cache';
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
export async function startOrgServer(config: OrgConfig, { logger, registry }: Pick<ServiceDependencies, 'logger' | 'registry'>): Promise<OrgServer> {
  const base = await openShardedService(config, ORG_MIGRATIONS_SCOPE, { logger, registry });
  const { db } = base;
  const upstreams = createUpstreams({ auth: config.AUTH_GRPC_ADDRESS, project: config.PROJECT_GRPC_ADDRESS, agent: config.AGENT_GRPC_ADDRESS, workflow: config.WORKFLOW_GRPC_ADDRESS });
  const cache = createTenantCache(base.redis, { logger });
  const organizations = createOrganizationsService({ db, cache, upstreams });
  const members = createMembersService({ upstreams });
  const invitations = createInvitationsService({ db, members });
  const usage = createUsageService({ organizations, members, upstreams });
  base.server.addService(OrgServiceService, createOrgHandlers({ organizations, members, invitations, usage }));

  return {
    port: await base.listen(),
    checkReadiness: base.checkReadiness,
    stop: (graceMs) => base.stop(graceMs, () => upstreams.close()),
  };
}
