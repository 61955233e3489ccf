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
  upstreams: Pick<Upstreams, 'projects' | 'agents' | 'workflows'>;
}

/**
 * Counts against the plan's limits, asked of the services that own each count (with the
 * caller's token, so each checks `org.usage.read` itself). The items of an upstream the service
 * is not configured with are left out rather than reported as zero.
 */
export function createUsageService(options: UsageServiceOptions) {
  const { agents, workflows, projects } = options.upstreams;
  return {
    async get(caller: Caller): Promise<{ plan: Plan; items: UsageItem[] }> {
      requirePermission(caller.principal, 'org.usage.read');
      const [plan, projectUsage, members, agentUsage, workflowUsage] = await Promise.all([
        options.organizations.planOf(caller),
        projects.getProjectUsage({}, caller.upstream),
        options.members.total(caller),
        agents?.getAgentUsage({}, caller.upstream),
        workflows?.getWorkflowUsage({}, caller.upstream),
      ]);
      const limits = limitsOf(plan);
      const item = (resource: PlanLimit, used: number): UsageItem => ({ resource, used, limit: limits[resource] });
      return {
        plan,
        items: [
          item('projects', projectUsage.projects),
          item('members', members),
          ...(agentUsage === undefined ? [] : [item('agents', agentUsage.agents), item('storageBytes', agentUsage.storageBytes)]),
          ...(workflowUsage === undefined ? [] : [item('workflows', workflowUsage.workflows), item('concurrentRuns', workflowUsage.runningRuns)]),
        ],
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
