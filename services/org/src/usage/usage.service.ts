import { limitsOf, requirePermission, type Plan, type PlanLimit } from '@bulkhead/permissions';
import type { Caller } from '../caller';
import type { MembersService } from '../members/members.service';
import type { OrganizationsService } from '../organizations/organizations.service';
import type { Upstreams } from '../upstream/upstreams';

export interface UsageItem {
  resource: PlanLimit;
  used: number;
  limit: number;
}

export interface UsageServiceOptions {
  organizations: OrganizationsService;
  members: MembersService;
  upstreams: Pick<Upstreams, 'projects'>;
}

/** Counts against the plan's limits, asked of the services that own each count. */
export function createUsageService(options: UsageServiceOptions) {
  return {
    async get(caller: Caller): Promise<{ plan: Plan; items: UsageItem[] }> {
      requirePermission(caller.principal, 'org.usage.read');
      const [plan, projects, members] = await Promise.all([
        options.organizations.planOf(caller),
        options.upstreams.projects.getProjectUsage({}, caller.upstream),
        options.members.total(caller),
      ]);
      const limits = limitsOf(plan);
      return {
        plan,
        items: [
          { resource: 'projects', used: projects.projects, limit: limits.projects },
          { resource: 'members', used: members, limit: limits.members },
        ],
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
