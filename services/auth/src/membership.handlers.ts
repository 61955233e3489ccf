import { auditOriginOf } from '@bulkhead/audit';
import type { membershipV1, MembershipServiceService } from '@bulkhead/contracts';
import { parseRequest, readPage, type ServiceImplementation } from '@bulkhead/grpc-kit';
import { ORG_ROLES } from '@bulkhead/permissions';
import { z } from 'zod';
import { callerOf, displayName, type AuthCallContext } from './auth.handlers';
import type { MemberRecord } from './members/members.repository';
import type { MembersService } from './members/members.service';
import { slugSchema } from './organizations/slugs';

const userId = z.uuid('must be a UUID');

const schemas = {
  member: z.object({ userId }),
  changeRole: z.object({ userId, role: z.enum(ORG_ROLES, `must be one of ${ORG_ROLES.join(', ')}`) }),
  updateOrganization: z.object({ name: displayName.optional(), slug: slugSchema.optional() }),
  resolveSlug: z.object({ slug: z.string().trim().min(1, 'is required').max(63, 'must be at most 63 characters') }),
};

const toMember = (member: MemberRecord): membershipV1.Member => ({
  userId: member.userId,
  email: member.email,
  name: member.name,
  role: member.role,
  joinedAt: member.joinedAt.toISOString(),
});

/** MembershipService: validates at the edge; the members service decides (permission table, the token's org). */
export function createMembershipHandlers(members: MembersService): ServiceImplementation<typeof MembershipServiceService, AuthCallContext> {
  return {
    async listMembers(request, ctx) {
      const { items, nextCursor, total } = await members.list(callerOf(ctx), readPage(request.page));
      return { items: items.map(toMember), page: { nextCursor }, total };
    },
    async getMember(request, ctx) {
      const input = parseRequest(schemas.member, request);
      return { member: toMember(await members.get(callerOf(ctx), input.userId)) };
    },
    async changeMemberRole(request, ctx) {
      const input = parseRequest(schemas.changeRole, request);
      return { member: toMember(await members.changeRole(callerOf(ctx), input.userId, input.role, auditOriginOf(ctx))) };
    },
    async removeMember(request, ctx) {
      const input = parseRequest(schemas.member, request);
      await members.remove(callerOf(ctx), input.userId, auditOriginOf(ctx));
      return {};
    },
    async updateOrganization(request, ctx) {
      const input = parseRequest(schemas.updateOrganization, request);
      await members.updateOrganization(callerOf(ctx), { name: input.name, slug: input.slug });
      return {};
    },
    async deleteOrganization(_request, ctx) {
      await members.deleteOrganization(callerOf(ctx));
      return {};
    },
    async resolveSlug(request, ctx) {
      const input = parseRequest(schemas.resolveSlug, request);
      return { organizationId: await members.resolveSlug(callerOf(ctx), input.slug) };
    },
  };
}
