import type { OrgServiceService } from '@bulkhead/contracts';
import type { ClientCallOptions, GrpcClient } from '@bulkhead/grpc-kit';
import { DEFAULT_PLAN } from '@bulkhead/permissions';
import type { TenantCache } from './tenant-cache';

/** The cache entry the org service fills and invalidates on every change to the org. */
export const ORG_PLAN_CACHE_KEY = ['org', 'plan'];

/** How long a cached plan is trusted when the org service's invalidation is missed. */
export const ORG_PLAN_TTL_SECONDS = 300;

/** A caller of a sharded service, as far as finding their organization's plan goes. */
export interface PlanCaller {
  readonly principal: { readonly tenantId: string };
  /** Call options forwarding the caller's own token. */
  readonly upstream: ClientCallOptions;
}

/** Where the caller's organization plan comes from. */
export interface OrgPlanSource {
  planOf(caller: PlanCaller): Promise<string>;
}

/**
 * The plan from the tenant cache, or on a miss from `OrgService.GetOrganization` with the
 * caller's own token. An organization without a plan gets the default (the tightest) one.
 */
export function createOrgPlanSource(cache: TenantCache, org: GrpcClient<typeof OrgServiceService>): OrgPlanSource {
  return {
    planOf: (caller) => {
      const tenantId = caller.principal.tenantId;
      return cache.getOrLoad(tenantId, ORG_PLAN_CACHE_KEY, ORG_PLAN_TTL_SECONDS, async () => {
        const { organization } = await org.getOrganization({ id: tenantId }, caller.upstream);
        return organization?.plan || DEFAULT_PLAN;
      });
    },
  };
}
