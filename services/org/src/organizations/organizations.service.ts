import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import type { orgV1 } from '@bulkhead/contracts';
import type { TenantDatabase } from '@bulkhead/database';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { DEFAULT_PLAN, limitsOf, permissionDenied, requirePermission, type Plan } from '@bulkhead/permissions';
import type { TenantCache } from '@bulkhead/tenant-cache';
import { organizationNotFound, type Caller } from '../caller';
import type { Upstreams } from '../upstream/upstreams';
import { organizationsRepository, type OrganizationChanges, type OrganizationRecord } from './organizations.repository';

/** The cache keys other services read too (common.md): the profile JSON and the plan name. */
export const PROFILE_CACHE_KEY = ['org', 'profile'] as const;
export const PLAN_CACHE_KEY = ['org', 'plan'] as const;
export const PROFILE_CACHE_TTL_SECONDS = 300;

/** The profile as the API and the cache carry it: times as RFC 3339, the plan's limits included. */
export function toOrganizationMessage(record: OrganizationRecord): orgV1.Organization {
  return {
    id: record.id,
    name: record.name,
    slug: record.slug,
    plan: record.plan,
    limits: { ...limitsOf(record.plan) },
    settings: record.settings,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

/** What an audit event records of a profile (settings are redacted by the audit library). */
const profileOf = (record: OrganizationRecord) => ({ name: record.name, slug: record.slug, plan: record.plan, settings: record.settings });

export interface OrganizationsServiceOptions {
  db: TenantDatabase;
  cache: TenantCache;
  upstreams: Pick<Upstreams, 'auth' | 'membership'>;
}

/** An organization the caller belongs to, as ListOrganizations pages it. */
export interface OrganizationMembershipView {
  id: string;
  name: string;
  role: string;
}

/**
 * The organization's profile on its shard. The registry (name, globally unique slug,
 * memberships) is the auth service's: renames and deletions go there first (ADR 0004).
 */
export function createOrganizationsService(options: OrganizationsServiceOptions) {
  const { db, cache, upstreams } = options;
  const tenantOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });
  const invalidate = (tenantId: string) => cache.invalidate(tenantId, [[...PROFILE_CACHE_KEY], [...PLAN_CACHE_KEY]]);

  const get = async (caller: Caller): Promise<orgV1.Organization> => {
    requirePermission(caller.principal, 'org.read');
    return cache.getOrLoad(caller.principal.tenantId, [...PROFILE_CACHE_KEY], PROFILE_CACHE_TTL_SECONDS, async () => {
      const found = await db.withTenant(tenantOf(caller), (tx) => organizationsRepository.find(tx));
      if (found === undefined) throw organizationNotFound();
      return toOrganizationMessage(found);
    });
  };

  return {
    /** Creates the profile, or answers the existing one unchanged (auth retries are safe). */
    async provision(caller: Caller, profile: { name: string; slug: string }): Promise<orgV1.Organization> {
      requirePermission(caller.principal, 'org.provision');
      const record = await db.withTenant(tenantOf(caller), (tx) => organizationsRepository.insertIfAbsent(tx, { ...profile, plan: DEFAULT_PLAN }));
      await invalidate(caller.principal.tenantId);
      return toOrganizationMessage(record);
    },

    /**
     * A user's organizations, from their memberships in the registry (GetMe, with their token).
     * An API key belongs to one organization: its own.
     */
    async listMine(caller: Caller, window: PageWindow): Promise<{ items: OrganizationMembershipView[]; nextCursor: string }> {
      const { principal } = caller;
      if (principal.type === 'service') throw permissionDenied('listing organizations');
      let all: OrganizationMembershipView[];
      if (principal.type === 'apiKey') {
        const own = await get(caller);
        all = [{ id: own.id, name: own.name, role: principal.role }];
      } else {
        const me = await upstreams.auth.getMe({}, caller.upstream);
        all = me.memberships.map((m) => ({ id: m.organizationId, name: m.organizationName, role: m.role }));
      }
      const sorted = all.sort((a, b) => a.id.localeCompare(b.id));
      const rest = window.after === undefined ? sorted : sorted.filter((item) => item.id > (window.after as string));
      return pageOf(rest.slice(0, window.limit + 1), window, (item) => item.id);
    },

    get,

    async update(caller: Caller, changes: OrganizationChanges): Promise<orgV1.Organization> {
      const { name, slug, plan, settings } = changes;
      // An empty update still needs org.update: it touches updated_at.
      if (plan === undefined || name !== undefined || slug !== undefined || settings !== undefined) requirePermission(caller.principal, 'org.update');
      if (plan !== undefined) requirePermission(caller.principal, 'org.plan.change');
      const tenantId = caller.principal.tenantId;
      const exists = await db.withTenant(tenantOf(caller), (tx) => organizationsRepository.find(tx));
      if (exists === undefined) throw organizationNotFound();
      // The registry holds the unique slug: a taken one fails there (ALREADY_EXISTS) before any change here.
      if (name !== undefined || slug !== undefined) {
        await upstreams.membership.updateOrganization({ name, slug }, caller.upstream);
      }
      const updated = await db.withTenant(tenantOf(caller), async (tx) => {
        const before = await organizationsRepository.find(tx, { forUpdate: true });
        const after = await organizationsRepository.update(tx, changes);
        if (before === undefined || after === undefined) return undefined;
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'org.updated',
          resource: { type: 'organization', id: tenantId },
          outcome: 'success',
          changes: { before: profileOf(before), after: profileOf(after) },
        });
        return after;
      });
      await invalidate(tenantId);
      if (updated === undefined) throw organizationNotFound();
      return toOrganizationMessage(updated);
    },

    /**
     * Deletes this service's rows of the tenant on its shard, then the registry entry
     * (memberships, keys, sessions), then the tenant's cache keys. Other services' data is
     * erased by later work (README).
     */
    async delete(caller: Caller): Promise<void> {
      requirePermission(caller.principal, 'org.delete');
      // No NOT_FOUND for rows already gone: a retry after auth failed must still reach auth.
      // The event goes with the erasure, once (a retry finds no profile and records nothing): the
      // outbox row survives it, as tenant work cannot delete outbox rows, and the relay needs nothing else.
      await db.withTenant(tenantOf(caller), async (tx) => {
        const erased = await organizationsRepository.deleteTenant(tx);
        if (erased === undefined) return;
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'org.deleted',
          resource: { type: 'organization', id: caller.principal.tenantId },
          outcome: 'success',
          changes: { before: profileOf(erased) },
        });
      });
      await upstreams.membership.deleteOrganization({}, caller.upstream);
      await cache.purgeTenant(caller.principal.tenantId);
    },

    /** The plan's name, cached under the key other services read (common.md). */
    async planOf(caller: Caller): Promise<Plan> {
      return cache.getOrLoad(caller.principal.tenantId, [...PLAN_CACHE_KEY], PROFILE_CACHE_TTL_SECONDS, async () => {
        const found = await db.withTenant(tenantOf(caller), (tx) => organizationsRepository.find(tx));
        if (found === undefined) throw organizationNotFound();
        return found.plan;
      });
    },
  };
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;

