import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import type { MembershipServiceService } from '@bulkhead/contracts';
import { isUuid, type TenantDatabase } from '@bulkhead/database';
import { AppError, invalidArgument, isAppError, notFound } from '@bulkhead/errors';
import { pageOf, type GrpcClient, type PageWindow } from '@bulkhead/grpc-kit';
import type { ProjectRole } from '@bulkhead/permissions';
import { projectAccessCacheKey, type TenantCache } from '@bulkhead/tenant-cache';
import type { Caller } from '../caller';
import { requireProjectAccess } from '../projects/project-access';
import { membersRepository, type ProjectMemberRecord } from './members.repository';

export interface MembersServiceOptions {
  db: TenantDatabase;
  /** The auth service's membership RPCs: who belongs to the organization. */
  membership: GrpcClient<typeof MembershipServiceService>;
  /** Where other services cache callers' roles in a project; dropped after every change of its members. */
  cache: TenantCache;
}

/**
 * NOT_FOUND, as for any id outside the caller's tenant: a user of another organization must look
 * exactly like a user that does not exist.
 */
function notAnOrgMember(): AppError {
  return new AppError({
    kind: 'NOT_FOUND',
    code: 'NOT_AN_ORG_MEMBER',
    message: 'The user is not a member of this organization.',
    fieldViolations: [{ field: 'userId', description: 'is not a member of the organization' }],
  });
}

/** Project members and their project roles; only org members can hold one. */
export function createMembersService(options: MembersServiceOptions) {
  const { db } = options;
  const ctxOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });

  /** Asks auth, with the caller's token, whether the user belongs to the caller's organization. */
  async function requireOrgMember(caller: Caller, userId: string): Promise<void> {
    try {
      await options.membership.getMember({ userId }, caller.upstream);
    } catch (err) {
      if (isAppError(err) && err.kind === 'NOT_FOUND') throw notAnOrgMember();
      throw err;
    }
  }

  return {
    async list(caller: Caller, projectId: string, window: PageWindow): Promise<{ items: ProjectMemberRecord[]; nextCursor: string }> {
      if (window.after !== undefined && !isUuid(window.after)) {
        throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
      }
      const rows = await db.withTenant(ctxOf(caller), async (tx) => {
        await requireProjectAccess(tx, caller, projectId, 'project.read');
        return membersRepository.list(tx, tx.tenantId, projectId, window.limit + 1, window.after);
      });
      return pageOf(rows, window, (member) => member.userId);
    },

    /**
     * Adds the user or changes their role. The permission is checked before auth is asked
     * (so another tenant's project id is NOT_FOUND, not a membership answer), and again with
     * the write: no shard connection is held across the call to auth.
     */
    async set(caller: Caller, projectId: string, userId: string, role: ProjectRole): Promise<ProjectMemberRecord> {
      await db.withTenant(ctxOf(caller), (tx) => requireProjectAccess(tx, caller, projectId, 'project.members.manage'));
      await requireOrgMember(caller, userId);
      const member = await db.withTenant(ctxOf(caller), async (tx) => {
        await requireProjectAccess(tx, caller, projectId, 'project.members.manage');
        const before = await membersRepository.roleOf(tx, tx.tenantId, projectId, userId);
        const member = await membersRepository.upsert(tx, tx.tenantId, { projectId, userId, role });
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'project_member.set',
          resource: { type: 'project_member', id: `${projectId}/${userId}` },
          outcome: 'success',
          changes: { ...(before === undefined ? {} : { before: { role: before } }), after: { role } },
          metadata: { projectId, userId },
        });
        return member;
      });
      await options.cache.invalidate(caller.principal.tenantId, [projectAccessCacheKey(projectId)]);
      return member;
    },

    async remove(caller: Caller, projectId: string, userId: string): Promise<void> {
      await db.withTenant(ctxOf(caller), async (tx) => {
        await requireProjectAccess(tx, caller, projectId, 'project.members.manage');
        const before = await membersRepository.roleOf(tx, tx.tenantId, projectId, userId);
        if (!(await membersRepository.remove(tx, tx.tenantId, projectId, userId))) throw notFound('Project member');
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'project_member.removed',
          resource: { type: 'project_member', id: `${projectId}/${userId}` },
          outcome: 'success',
          changes: { before: { role: before } },
          metadata: { projectId, userId },
        });
      });
      await options.cache.invalidate(caller.principal.tenantId, [projectAccessCacheKey(projectId)]);
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
