import { createHash, randomBytes } from 'node:crypto';
import { auditedBy, recordAuditEvent } from '@bulkhead/audit';
import { uuidv7, type TenantDatabase } from '@bulkhead/database';
import { AppError, invalidArgument, notFound } from '@bulkhead/errors';
import { pageOf, type PageWindow } from '@bulkhead/grpc-kit';
import { requirePermission, requireWithinLimit, type OrgRole } from '@bulkhead/permissions';
import { encodeInvitationToken } from '@bulkhead/tokens';
import { organizationNotFound, type Caller } from '../caller';
import type { MembersService } from '../members/members.service';
import { organizationsRepository } from '../organizations/organizations.repository';
import { invitationsRepository, statusOf, type InvitationPosition, type InvitationRecord, type InvitationStatus } from './invitations.repository';

/** SHA-256 of the whole `bhi_…` token: the only form in which it is kept. */
export function hashInvitationToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const invitationNotFound = (): AppError => notFound('Invitation');

/** Why a non-pending invitation cannot be used, as FAILED_PRECONDITION codes. */
const NOT_PENDING: Record<Exclude<InvitationStatus, 'pending'>, { code: string; message: string }> = {
  expired: { code: 'INVITATION_EXPIRED', message: 'The invitation has expired.' },
  revoked: { code: 'INVITATION_REVOKED', message: 'The invitation was revoked.' },
  accepted: { code: 'INVITATION_USED', message: 'The invitation has already been used.' },
};

function notPending(status: Exclude<InvitationStatus, 'pending'>): AppError {
  return new AppError({ kind: 'FAILED_PRECONDITION', code: NOT_PENDING[status].code, message: NOT_PENDING[status].message, details: { status } });
}

/** A list cursor's key: `<createdAt ISO>|<id>`. */
const positionKey = (invitation: InvitationRecord): string => `${invitation.createdAt.toISOString()}|${invitation.id}`;

function positionOf(key: string | undefined): InvitationPosition | undefined {
  if (key === undefined) return undefined;
  const [createdAt, id] = key.split('|');
  const date = new Date(createdAt ?? '');
  if (id === undefined || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(date.getTime())) {
    throw invalidArgument([{ field: 'page.cursor', description: 'is not a cursor returned by this list' }]);
  }
  return { createdAt: date, id };
}

export interface NewInvitation {
  email: string;
  role: OrgRole;
  expiresInHours: number;
}

export interface RedeemRequest {
  token: string;
  userId: string;
  email: string;
  memberCount: number;
}

export interface InvitationsServiceOptions {
  db: TenantDatabase;
  members: MembersService;
  now?: () => Date;
}

/**
 * Invitations: created by owners and admins within the plan's member limit, shown once,
 * stored as a hash; redeemed only through the auth service (ADR 0004), which then adds the
 * membership in the same identity transaction.
 */
export function createInvitationsService(options: InvitationsServiceOptions) {
  const { db, members } = options;
  const now = options.now ?? (() => new Date());
  const tenantOf = (caller: Caller) => ({ tenantId: caller.principal.tenantId });

  return {
    async create(caller: Caller, input: NewInvitation): Promise<{ invitation: InvitationRecord; status: InvitationStatus; token: string }> {
      requirePermission(caller.principal, 'invitations.manage');
      if (input.role === 'owner') requirePermission(caller.principal, 'members.grantOwner');
      const memberTotal = await members.total(caller);
      const token = encodeInvitationToken(caller.principal.tenantId, randomBytes(32));
      const invitation = await db.withTenant(tenantOf(caller), async (tx) => {
        // The profile row lock serialises concurrent invitations of one tenant, so the count holds.
        const organization = await organizationsRepository.find(tx, { forUpdate: true });
        if (organization === undefined) throw organizationNotFound();
        const at = now();
        if ((await invitationsRepository.findPendingByEmail(tx, input.email, at)) !== undefined) {
          throw new AppError({
            kind: 'ALREADY_EXISTS',
            code: 'INVITATION_PENDING',
            message: 'A pending invitation for this email already exists; revoke it to invite again.',
          });
        }
        requireWithinLimit(organization.plan, 'members', memberTotal + (await invitationsRepository.countPending(tx, at)));
        const created = await invitationsRepository.insert(tx, {
          id: uuidv7(),
          email: input.email,
          role: input.role,
          tokenHash: hashInvitationToken(token),
          createdBy: caller.principal.subject,
          createdAt: at,
          expiresAt: new Date(at.getTime() + input.expiresInHours * 3_600_000),
        });
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'invitation.created',
          resource: { type: 'invitation', id: created.id },
          outcome: 'success',
          // Never the token: only whom, as what, until when.
          changes: { after: { email: created.email, role: created.role, expiresAt: created.expiresAt.toISOString() } },
        });
        return created;
      });
      return { invitation, status: statusOf(invitation, now()), token };
    },

    async list(caller: Caller, window: PageWindow): Promise<{ items: { invitation: InvitationRecord; status: InvitationStatus }[]; nextCursor: string }> {
      requirePermission(caller.principal, 'invitations.read');
      const after = positionOf(window.after);
      const rows = await db.withTenant(tenantOf(caller), (tx) => invitationsRepository.list(tx, window.limit + 1, after));
      const page = pageOf(rows, window, positionKey);
      const at = now();
      return { items: page.items.map((invitation) => ({ invitation, status: statusOf(invitation, at) })), nextCursor: page.nextCursor };
    },

    /** Revokes a pending invitation; any other state is FAILED_PRECONDITION naming it. */
    async revoke(caller: Caller, id: string): Promise<void> {
      requirePermission(caller.principal, 'invitations.manage');
      await db.withTenant(tenantOf(caller), async (tx) => {
        const invitation = await invitationsRepository.findForUpdate(tx, id);
        if (invitation === undefined) throw invitationNotFound();
        const at = now();
        const status = statusOf(invitation, at);
        if (status !== 'pending') throw notPending(status);
        await invitationsRepository.markRevoked(tx, id, at);
        await recordAuditEvent(tx, {
          ...auditedBy(caller),
          action: 'invitation.revoked',
          resource: { type: 'invitation', id },
          outcome: 'success',
          changes: { before: { email: invitation.email, role: invitation.role, status } },
        });
      });
    },

    /**
     * Checks the token for the user auth is adding and marks it used by them. A retry for the
     * same user answers the same; the member limit counts `memberCount` (auth counts under its lock).
     */
    async redeem(caller: Caller, request: RedeemRequest): Promise<{ role: OrgRole; organizationName: string; invitationId: string }> {
      requirePermission(caller.principal, 'invitations.redeem');
      const tokenHash = hashInvitationToken(request.token);
      return db.withTenant(tenantOf(caller), async (tx) => {
        const invitation = await invitationsRepository.findByTokenHashForUpdate(tx, tokenHash);
        if (invitation === undefined) throw invitationNotFound();
        const organization = await organizationsRepository.find(tx);
        if (organization === undefined) throw invitationNotFound();
        const answer = { role: invitation.role, organizationName: organization.name, invitationId: invitation.id };
        if (invitation.acceptedBy !== null && invitation.acceptedBy.toLowerCase() === request.userId.toLowerCase()) return answer;
        const at = now();
        const status = statusOf(invitation, at);
        if (status !== 'pending') throw notPending(status);
        if (invitation.email !== request.email) {
          throw new AppError({
            kind: 'FAILED_PRECONDITION',
            code: 'INVITATION_EMAIL_MISMATCH',
            message: 'The invitation was sent to another email address.',
          });
        }
        requireWithinLimit(organization.plan, 'members', request.memberCount);
        await invitationsRepository.markAccepted(tx, invitation.id, request.userId, at);
        return answer;
      });
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
