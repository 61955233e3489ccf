import { auditedBy, recordIdentityAuditEvent, type AuditOrigin } from '@bulkhead/audit';
import { uuidv7, withTransaction } from '@bulkhead/database';
import { AppError, internalError, invalidArgument, notFound } from '@bulkhead/errors';
import { isOrgRole, usersOnly, type OrgRole } from '@bulkhead/permissions';
import type { ParentCall } from '@bulkhead/grpc-kit';
import { parseInvitationToken, type Principal } from '@bulkhead/tokens';
import type { Pool } from 'pg';
import { accountsRepository, type MembershipRecord } from '../accounts/accounts.repository';
import type { IdentityDb } from '../identity-db';
import { membersRepository } from '../members/members.repository';
import type { OrgServiceCalls } from './org-service.client';
import { organizationsRepository, type OrganizationRecord } from './organizations.repository';
import { deriveSlug, SLUG_PATTERN, withRandomSuffix } from './slugs';

/** Attempts at a free derived slug before giving up (each retry draws a new random suffix). */
const DERIVED_SLUG_ATTEMPTS = 5;

export const slugTaken = (): AppError =>
  new AppError({
    kind: 'ALREADY_EXISTS',
    code: 'SLUG_TAKEN',
    message: 'Another organization already uses this slug.',
    fieldViolations: [{ field: 'slug', description: 'is already taken' }],
  });

export interface OrganizationsServiceOptions {
  pool: Pool;
  org: OrgServiceCalls;
}

/**
 * The organization registry's writes that reach the org service (ADR 0004): creating an
 * organization and joining one by invitation. The org-service call happens inside the
 * identity transaction, before it commits: when it fails, nothing of the org or the membership
 * stays behind.
 */
export function createOrganizationsService(options: OrganizationsServiceOptions) {
  async function insertWithFreeSlug(db: IdentityDb, org: { id: string; name: string; slug: string | undefined; createdBy: string }): Promise<string> {
    if (org.slug !== undefined) {
      if (!(await organizationsRepository.insertUnlessSlugTaken(db, { ...org, slug: org.slug }))) throw slugTaken();
      return org.slug;
    }
    const derived = deriveSlug(org.name);
    for (let attempt = 0; attempt < DERIVED_SLUG_ATTEMPTS; attempt += 1) {
      const slug = attempt === 0 && SLUG_PATTERN.test(derived) ? derived : withRandomSuffix(derived);
      if (await organizationsRepository.insertUnlessSlugTaken(db, { ...org, slug })) return slug;
    }
    throw internalError(new Error(`no free slug derived from "${derived}" after ${DERIVED_SLUG_ATTEMPTS} attempts`));
  }

  /**
   * Registers an organization owned by `ownerId` and provisions it at the org service, in the
   * caller's identity transaction `db` (the org service's call must precede its commit).
   * `slug` is a validated slug or undefined (derived from the name); `parent` is the call served.
   */
  async function register(
    db: IdentityDb,
    input: { name: string; slug: string | undefined; ownerId: string },
    parent: ParentCall | undefined,
  ): Promise<OrganizationRecord> {
    const id = uuidv7();
    const slug = await insertWithFreeSlug(db, { id, name: input.name, slug: input.slug, createdBy: input.ownerId });
    await accountsRepository.insertMembership(db, { organizationId: id, userId: input.ownerId, role: 'owner' });
    await options.org.provision(id, { name: input.name, slug }, parent);
    return { id, name: input.name, slug };
  }

  return {
    register,

    /** A signed-in user creates another organization and owns it; they switch to it with SwitchOrg. */
    async create(
      principal: Principal,
      input: { name: string; slug: string | undefined },
      parent: ParentCall | undefined,
      origin: AuditOrigin,
    ): Promise<OrganizationRecord> {
      if (principal.type !== 'user') throw usersOnly();
      return withTransaction(options.pool, async (db) => {
        const org = await register(db, { ...input, ownerId: principal.subject }, parent);
        // The new organization's log: its first event, by its owner.
        await recordIdentityAuditEvent(db, {
          ...auditedBy({ principal, origin }),
          tenantId: org.id,
          action: 'org.created',
          resource: { type: 'organization', id: org.id },
          outcome: 'success',
          changes: { after: { name: org.name, slug: org.slug } },
        });
        return org;
      });
    },

    /**
     * Joins the organization named in the invitation token. The org row stays locked from the
     * member count to the insert, so two acceptances cannot both pass the plan's member limit.
     */
    async acceptInvitation(principal: Principal, token: string, parent: ParentCall | undefined, origin: AuditOrigin): Promise<MembershipRecord> {
      if (principal.type !== 'user') throw usersOnly();
      const invitation = parseInvitationToken(token);
      if (invitation === undefined) throw invalidArgument([{ field: 'token', description: 'is not an invitation token' }]);
      return withTransaction(options.pool, async (db) => {
        const org = await organizationsRepository.lock(db, invitation.organizationId);
        if (org === undefined) throw notFound('Invitation');
        if ((await accountsRepository.findMembership(db, principal.subject, org.id)) !== undefined) {
          throw new AppError({ kind: 'FAILED_PRECONDITION', code: 'ALREADY_MEMBER', message: 'You are already a member of this organization.' });
        }
        const user = await accountsRepository.findUserById(db, principal.subject);
        if (user === undefined) throw notFound('User');
        const memberCount = await membersRepository.count(db, org.id);
        const { role, invitationId } = await options.org.redeemInvitation(org.id, { token, userId: user.id, email: user.email, memberCount }, parent);
        if (!isOrgRole(role)) throw internalError(new Error(`the org service granted an unknown role "${role}"`));
        await accountsRepository.insertMembership(db, { organizationId: org.id, userId: user.id, role });
        // Both halves of the acceptance, with the membership they created: the org service's
        // redemption answers first but only this commit makes the user a member.
        const by = auditedBy({ principal, origin });
        await recordIdentityAuditEvent(db, {
          ...by,
          tenantId: org.id,
          action: 'invitation.accepted',
          resource: { type: 'invitation', ...(invitationId === '' ? {} : { id: invitationId }) },
          outcome: 'success',
          metadata: { userId: user.id, role },
        });
        await recordIdentityAuditEvent(db, {
          ...by,
          tenantId: org.id,
          action: 'member.added',
          resource: { type: 'member', id: user.id },
          outcome: 'success',
          changes: { after: { role } },
          metadata: { via: 'invitation' },
        });
        return { organizationId: org.id, organizationName: org.name, role: role satisfies OrgRole };
      });
    },
  };
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;
