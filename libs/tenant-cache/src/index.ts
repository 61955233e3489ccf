export { createTenantCache } from './tenant-cache';
export type { CacheLogger, TenantCache, TenantCacheOptions } from './tenant-cache';
export { tenantKey, tenantKeyPrefix } from './tenant-key';
export { createOrgPlanSource, ORG_PLAN_CACHE_KEY, ORG_PLAN_TTL_SECONDS } from './org-plan';
export type { OrgPlanSource, PlanCaller } from './org-plan';
export { PROJECT_ACCESS_TTL_SECONDS, projectAccessCacheKey } from './project-access';
