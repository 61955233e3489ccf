export { createTenantCache } from './tenant-cache';
export type { CacheLogger, TenantCache, TenantCacheOptions } from './tenant-cache';
export { tenantKey, tenantKeyPrefix } from './tenant-key';
