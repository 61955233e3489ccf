import type { membershipV1 } from '@bulkhead/contracts';
import { requirePermission, type OrgRole } from '@bulkhead/permissions';
import type { Caller } from '../caller';
import type { Upstreams } from '../upstream/upstreams';

export interface MembersServiceOptions {
  upstreams: Pick<Upstreams, 'membership'>;
}

/**
 * Members live in the identity database, owned by auth: every call is forwarded there with the
 * caller's token, after the same permission check here (auth checks again: zero trust).
 */
export function createMembersService(options: MembersServiceOptions) {
  const { membership } = options.upstreams;
  return {
    async list(caller: Caller, page: { pageSize: number; cursor: string }): Promise<{ items: membershipV1.Member[]; nextCursor: string }> {
      requirePermission(caller.principal, 'members.read');
      const reply = await membership.listMembers({ page }, caller.upstream);
      return { items: reply.items, nextCursor: reply.page?.nextCursor ?? '' };
    },

    /** How many members the organization has, all pages together. */
    async total(caller: Caller): Promise<number> {
      const reply = await membership.listMembers({ page: { pageSize: 1, cursor: '' } }, caller.upstream);
      return reply.total;
    },

    async changeRole(caller: Caller, userId: string, role: OrgRole): Promise<membershipV1.Member | undefined> {
      requirePermission(caller.principal, 'members.manage');
      return (await membership.changeMemberRole({ userId, role }, caller.upstream)).member;
    },

    /** Anyone may leave; removing someone else takes members.manage. */
    async remove(caller: Caller, userId: string): Promise<void> {
      const leaving = caller.principal.type === 'user' && caller.principal.subject.toLowerCase() === userId.toLowerCase();
      if (!leaving) requirePermission(caller.principal, 'members.manage');
      await membership.removeMember({ userId }, caller.upstream);
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
