import type { ClientCallOptions } from '@bulkhead/grpc-kit';
import type { Logger } from '@bulkhead/observability';
import { DEFAULT_PLAN, isPlan, type Plan } from '@bulkhead/permissions';
import type { TenantCache } from '@bulkhead/tenant-cache';
import type { OrgClient } from '../upstream/org.upstream';
import { requiredField } from '../upstream/upstream-call';

/** The tenant cache key of an organization's plan name, invalidated by the org service on change. */
export const PLAN_CACHE_KEY = ['org', 'plan'] as const;
/** How long a plan stays cached; the org service's invalidation usually ends it sooner. */
export const PLAN_CACHE_TTL_SECONDS = 300;

/** The plan of the caller's organization. */
export interface TenantPlans {
  /** Never rejects: a plan that cannot be read is {@link DEFAULT_PLAN}, the strictest. */
  planOf(tenantId: string, callOptions: ClientCallOptions): Promise<Plan>;
}

/**
 * Plans from the tenant cache, loaded on a miss with `OrgService.GetOrganization` on the
 * caller's token. When the org service cannot answer, the request is limited as the default
 * plan (and nothing is cached), so an outage of the org service neither lifts the limits nor
 * fails routes that do not need it.
 */
export function createTenantPlans(deps: { cache: TenantCache; org: OrgClient; logger: Logger }): TenantPlans {
  return {
    async planOf(tenantId, callOptions) {
      try {
        const plan = await deps.cache.getOrLoad(tenantId, PLAN_CACHE_KEY, PLAN_CACHE_TTL_SECONDS, async () => {
          const answer = await deps.org.getOrganization({ id: tenantId }, callOptions);
          return requiredField(answer.organization, 'organization').plan;
        });
        return isPlan(plan) ? plan : DEFAULT_PLAN;
      } catch (err) {
        deps.logger.warn({ err, tenantId }, 'organization plan unavailable; rate limiting as the default plan');
        return DEFAULT_PLAN;
      }
    },
  };
}
