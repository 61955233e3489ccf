import { auditedBy, recordIdentityAuditEvent, type AuditOrigin } from '@bulkhead/audit';
import { isUuid, withTransaction } from '@bulkhead/database';
import { AppError, invalidArgument, notFound } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { requirePermission, type OrgRole, type PermissionCaller } from '@bulkhead/permissions';
import type { Principal } from '@bulkhead/tokens';
import type { Pool } from 'pg';
import { accountsRepository } from '../accounts/accounts.repository';
import type { IdentityDb } from '../identity-db';
import { organizationsRepository, type OrganizationRecord } from '../organizations/organizations.repository';
import { slugTaken } from '../organizations/organizations.service';
import { sessionsRepository } from '../sessions/sessions.repository';
import { membersRepository, type MemberRecord } from './members.repository';

export interface MembersServiceOptions {
  pool: Pool;
  /** Puts revoked sessions on the Redis revocation list (the database rows are revoked in the transaction). */
  revokeAccessTokens: (sessionIds: readonly string[]) => Promise<void>;
}

const lastOwner = (): AppError =>
  new AppError({
    kind: 'FAILED_PRECONDITION',
    code: 'LAST_OWNER',
    message: 'An organization needs an owner: make someone else owner first.',
  });

const memberNotFound = (): AppError => notFound('Member');

/** Who is acting, with the role the permission table judges. */
/** The caller with their live role; the permission table reads the token's limits (an API key's scopes and project) from it too. */
interface Actor extends PermissionCaller {
  principal: Principal;
  role: string;
}

/**
 * MembershipService's rules. Everything acts on the caller's token's organization (`tid`),
 * never on an id from the request. A user's role is read from the membership (zero trust:
 * a demoted user's unexpired token does not keep the old role); an API key acts with its
 * own role. Service tokens are refused: no service acts on memberships.
 */
export function createMembersService(options: MembersServiceOptions) {
  async function actorIn(db: IdentityDb, principal: Principal): Promise<Actor> {
    // An API key acts with its own role; a service's role is in no row of MembershipService's.
    if (principal.type !== 'user') return { ...principal, principal, role: principal.role };
    const membership = await accountsRepository.findMembership(db, principal.subject, principal.tenantId);
    if (membership === undefined) {
      throw new AppError({ kind: 'PERMISSION_DENIED', code: 'NOT_A_MEMBER', message: 'You are no longer a member of this organization.' });
    }
    return { ...principal, principal, role: membership.role };
  }

  /** Locks the caller's organization: membership writes of one org are serialised on its row. */
  async function lockOrganization(db: IdentityDb, principal: Principal): Promise<OrganizationRecord> {
    const org = await organizationsRepository.lock(db, principal.tenantId);
    if (org === undefined) throw notFound('Organization');
    return org;
  }

  async function ownersAfterLosing(db: IdentityDb, organizationId: string, target: MemberRecord): Promise<void> {
    if (target.role === 'owner' && (await membersRepository.countOwners(db, organizationId)) <= 1) throw lastOwner();
  }

  return {
    async list(principal: Principal, page: PageWindow): Promise<{ items: MemberRecord[]; nextCursor: string; total: number }> {
      return withTransaction(options.pool, async (db) => {
        requirePermission(await actorIn(db, principal), 'members.read');
        const rows = await membersRepository.list(db, principal.tenantId, page.limit + 1, decodeMemberKey(page.after));
        return { ...pageOf(rows, page, memberKey), total: await membersRepository.count(db, principal.tenantId) };
      });
    },

    async get(principal: Principal, userId: string): Promise<MemberRecord> {
      return withTransaction(options.pool, async (db) => {
        requirePermission(await actorIn(db, principal), 'members.lookup');
        const member = await membersRepository.find(db, principal.tenantId, userId);
        if (member === undefined) throw memberNotFound();
        return member;
      });
    },

    async changeRole(principal: Principal, userId: string, role: OrgRole, origin: AuditOrigin): Promise<MemberRecord> {
      return withTransaction(options.pool, async (db) => {
        const org = await lockOrganization(db, principal);
        const actor = await actorIn(db, principal);
        requirePermission(actor, 'members.manage');
        const target = await membersRepository.find(db, org.id, userId);
        if (target === undefined) throw memberNotFound();
        if (role === 'owner' || target.role === 'owner') requirePermission(actor, 'members.grantOwner');
        if (role !== 'owner') await ownersAfterLosing(db, org.id, target);
        await membersRepository.changeRole(db, org.id, userId, role);
        await recordIdentityAuditEvent(db, {
          ...auditedBy({ principal, origin }),
          tenantId: org.id,
          action: 'member.role_changed',
          resource: { type: 'member', id: userId },
          outcome: 'success',
          changes: { before: { role: target.role }, after: { role } },
        });
        return { ...target, role };
      });
    },

    async remove(principal: Principal, userId: string, origin: AuditOrigin): Promise<void> {
      const revoked = await withTransaction(options.pool, async (db) => {
        const org = await lockOrganization(db, principal);
        const actor = await actorIn(db, principal);
        const leaving = principal.type === 'user' && principal.subject === userId;
        if (!leaving) requirePermission(actor, 'members.manage');
        const target = await membersRepository.find(db, org.id, userId);
        if (target === undefined) throw memberNotFound();
        if (!leaving && target.role === 'owner') requirePermission(actor, 'members.grantOwner');
        await ownersAfterLosing(db, org.id, target);
        await membersRepository.remove(db, org.id, userId);
        await recordIdentityAuditEvent(db, {
          ...auditedBy({ principal, origin }),
          tenantId: org.id,
          action: 'member.removed',
          resource: { type: 'member', id: userId },
          outcome: 'success',
          changes: { before: { role: target.role } },
          metadata: { left: leaving },
        });
        return sessionsRepository.revokeSessionsInOrganization(db, org.id, userId, 'membership_removed');
      });
      await options.revokeAccessTokens(revoked);
    },

    async updateOrganization(principal: Principal, changes: { name: string | undefined; slug: string | undefined }): Promise<void> {
      await withTransaction(options.pool, async (db) => {
        const org = await lockOrganization(db, principal);
        requirePermission(await actorIn(db, principal), 'org.update');
        // Last statement of the transaction: a taken slug fails it.
        if ((await organizationsRepository.update(db, org.id, changes)) === 'slugTaken') throw slugTaken();
      });
    },

    async deleteOrganization(principal: Principal): Promise<void> {
      const revoked = await withTransaction(options.pool, async (db) => {
        const org = await lockOrganization(db, principal);
        requirePermission(await actorIn(db, principal), 'org.delete');
        const sessions = await sessionsRepository.revokeSessionsInOrganization(db, org.id, undefined, 'membership_removed');
        const apiKeys = (await organizationsRepository.delete(db, org.id)) ?? [];
        // An API key's tokens carry its id as their session id.
        return [...sessions, ...apiKeys];
      });
      await options.revokeAccessTokens(revoked);
    },

    async resolveSlug(principal: Principal, slug: string): Promise<string> {
      requirePermission(principal, 'org.resolveSlug');
      const org = await organizationsRepository.findBySlug(options.pool, slug);
      if (org === undefined) throw notFound('Organization');
      return org.id;
    },
  };
}

// The list's sort key, (joined at, user id), as one cursor string.
const memberKey = (member: MemberRecord): string => `${member.joinedKey}|${member.userId}`;

const JOINED_KEY = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

function decodeMemberKey(after: string | undefined): { joinedKey: string; userId: string } | undefined {
  if (after === undefined) return undefined;
  const split = after.lastIndexOf('|');
  const key = { joinedKey: after.slice(0, split), userId: after.slice(split + 1) };
  // An edited cursor must fail as bad input, not as a cast error in SQL.
  if (!JOINED_KEY.test(key.joinedKey) || !isUuid(key.userId)) {
    throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
  }
  return key;
}

export type MembersService = ReturnType<typeof createMembersService>;
