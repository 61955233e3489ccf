import { isUuid } from '@bulkhead/database';

/** The prefix of every key of one tenant: the `{…}` hash tag keeps a tenant in one cluster slot. */
export function tenantKeyPrefix(tenantId: string): string {
  if (!isUuid(tenantId)) throw new TypeError(`tenant id must be a UUID, got "${tenantId}"`);
  return `bh:{${tenantId.toLowerCase()}}:`;
}

/** `bh:{<tenantId>}:<part>:<part>…`, the only shape a tenant's Redis key may have (DESIGN "Isolation, in depth"). */
export function tenantKey(tenantId: string, ...parts: readonly string[]): string {
  if (parts.length === 0) throw new TypeError('a tenant key needs at least one part after the tenant id');
  for (const part of parts) {
    if (part === '' || /[\s*?[\]{}]/.test(part)) throw new TypeError(`tenant key part "${part}" is empty or holds a glob or hash-tag character`);
  }
  return tenantKeyPrefix(tenantId) + parts.join(':');
}
