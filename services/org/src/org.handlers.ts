import type { membershipV1, orgV1, OrgServiceService } from '@bulkhead/contracts';
import { parseRequest, readPage, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { ORG_ROLES, PLANS } from '@bulkhead/permissions';
import { z } from 'zod';
import { callerOf, requireOwnOrganization, type OrgCallContext } from './caller';
import type { InvitationStatus, InvitationRecord } from './invitations/invitations.repository';
import type { InvitationsService } from './invitations/invitations.service';
import type { MembersService } from './members/members.service';
import type { OrganizationsService } from './organizations/organizations.service';
import type { UsageService } from './usage/usage.service';

/** The settings object's cap, in bytes of its JSON. */
export const MAX_SETTINGS_BYTES = 16 * 1024;
/** Invitation life: a week unless asked, at most 30 days. */
export const DEFAULT_INVITATION_HOURS = 168;
export const MAX_INVITATION_HOURS = 720;

const uuid = z.uuid('must be a UUID');
const name = z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters');
// The registry's slug rule (identity.organizations_slug_format): 3–63 of a-z, 0-9 and inner hyphens.
const slug = z
  .string()
  .trim()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/, 'must be 3-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen');
const email = z.string().trim().toLowerCase().max(320, 'must be at most 320 characters').pipe(z.email('must be an email address'));
const role = z.enum(ORG_ROLES, `must be one of ${ORG_ROLES.join(', ')}`);
const settings = z
  .record(z.string(), z.unknown(), 'must be a JSON object')
  .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_SETTINGS_BYTES, `must be at most ${MAX_SETTINGS_BYTES} bytes of JSON`);

const schemas = {
  provision: z.object({ name, slug }),
  byId: z.object({ id: uuid }),
  update: z.object({
    id: uuid,
    name: name.optional(),
    slug: slug.optional(),
    plan: z.enum(PLANS, `must be one of ${PLANS.join(', ')}`).optional(),
    settings: settings.optional(),
  }),
  byOrganization: z.object({ organizationId: uuid }),
  member: z.object({ organizationId: uuid, userId: uuid }),
  memberRole: z.object({ organizationId: uuid, userId: uuid, role }),
  createInvitation: z.object({
    organizationId: uuid,
    email,
    role,
    expiresInHours: z
      .number()
      .int()
      .min(0, 'must not be negative')
      .max(MAX_INVITATION_HOURS, `must be at most ${MAX_INVITATION_HOURS}`)
      .transform((hours) => (hours === 0 ? DEFAULT_INVITATION_HOURS : hours)),
  }),
  invitation: z.object({ organizationId: uuid, id: uuid }),
  redeem: z.object({
    token: z.string().min(1, 'is required').max(256, 'is not an invitation token'),
    userId: uuid,
    email,
    memberCount: z.number().int().min(0, 'must not be negative'),
  }),
};

const INT32_MAX = 2 ** 31 - 1;

/** The deprecated int32 `used`/`limit` of a usage item: capped, as their proto comment says (`used64`/`limit64` hold the value). */
const toInt32 = (value: number): number => Math.min(value, INT32_MAX);

const toMember = (member: membershipV1.Member): orgV1.Member => ({ ...member });

const toInvitation = ({ invitation, status }: { invitation: InvitationRecord; status: InvitationStatus }): orgV1.Invitation => ({
  id: invitation.id,
  email: invitation.email,
  role: invitation.role,
  status,
  createdBy: invitation.createdBy,
  createdAt: invitation.createdAt.toISOString(),
  expiresAt: invitation.expiresAt.toISOString(),
  acceptedAt: invitation.acceptedAt?.toISOString(),
  revokedAt: invitation.revokedAt?.toISOString(),
});

/** What the handlers need. */
export interface OrgHandlerDependencies {
  organizations: OrganizationsService;
  members: MembersService;
  invitations: InvitationsService;
  usage: UsageService;
}

/**
 * The OrgService: validates each request at the edge (ids as UUIDs first, then the id must be
 * the token's organization), then calls the domain service, which checks the permission.
 */
export function createOrgHandlers(deps: OrgHandlerDependencies): ServiceImplementation<typeof OrgServiceService, OrgCallContext> {
  return {
    async provisionOrganization(request, ctx) {
      const input = parseRequest(schemas.provision, request);
      return { organization: await deps.organizations.provision(callerOf(ctx), input) };
    },
    async listOrganizations(request, ctx) {
      const window = readPage(request.page);
      const { items, nextCursor } = await deps.organizations.listMine(callerOf(ctx), window);
      return { items, page: { nextCursor } };
    },
    async getOrganization(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, id);
      return { organization: await deps.organizations.get(caller) };
    },
    async updateOrganization(request, ctx) {
      const { id, ...changes } = parseRequest(schemas.update, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, id);
      return { organization: await deps.organizations.update(caller, changes) };
    },
    async deleteOrganization(request, ctx) {
      const { id } = parseRequest(schemas.byId, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, id);
      await deps.organizations.delete(caller);
      return {};
    },
    async listMembers(request, ctx) {
      const { organizationId } = parseRequest(schemas.byOrganization, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      const window = readPage(request.page);
      const { items, nextCursor } = await deps.members.list(caller, { pageSize: window.limit, cursor: request.page?.cursor ?? '' });
      return { items: items.map(toMember), page: { nextCursor } };
    },
    async updateMemberRole(request, ctx) {
      const { organizationId, userId, role } = parseRequest(schemas.memberRole, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      const member = await deps.members.changeRole(caller, userId, role);
      return { member: member === undefined ? undefined : toMember(member) };
    },
    async removeMember(request, ctx) {
      const { organizationId, userId } = parseRequest(schemas.member, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      await deps.members.remove(caller, userId);
      return {};
    },
    async createInvitation(request, ctx) {
      const { organizationId, ...input } = parseRequest(schemas.createInvitation, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      const { token, ...created } = await deps.invitations.create(caller, input);
      return { invitation: toInvitation(created), token };
    },
    async listInvitations(request, ctx) {
      const { organizationId } = parseRequest(schemas.byOrganization, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      const { items, nextCursor } = await deps.invitations.list(caller, readPage(request.page));
      return { items: items.map(toInvitation), page: { nextCursor } };
    },
    async revokeInvitation(request, ctx) {
      const { organizationId, id } = parseRequest(schemas.invitation, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      await deps.invitations.revoke(caller, id);
      return {};
    },
    async redeemInvitation(request, ctx) {
      const input = parseRequest(schemas.redeem, request);
      return deps.invitations.redeem(callerOf(ctx), input);
    },
    async getUsage(request, ctx) {
      const { organizationId } = parseRequest(schemas.byOrganization, request);
      const caller = callerOf(ctx);
      requireOwnOrganization(caller, organizationId);
      const { plan, items } = await deps.usage.get(caller);
      return { plan, items: items.map(({ resource, used, limit }) => ({ resource, used: toInt32(used), limit: toInt32(limit), used64: used, limit64: limit })) };
    },
  };
}
