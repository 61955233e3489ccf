import type { ProjectServiceService } from '@bulkhead/contracts';
import { isAppError, notFound, type AppError } from '@bulkhead/errors';
import type { GrpcClient } from '@bulkhead/grpc-kit';
import {
  boundProjectOf,
  canInProject,
  requireProjectListPermission,
  requireProjectPermission,
  seesEveryProject,
  type ProjectPermission,
} from '@bulkhead/permissions';
import { PROJECT_ACCESS_TTL_SECONDS, projectAccessCacheKey, type TenantCache } from '@bulkhead/tenant-cache';
import type { Caller } from '../caller';

/** The most projects a restricted caller's workflow list looks through. */
const MAX_VISIBLE_PROJECTS = 1000;

/** What the caller may do in a project: the project service knows their role in it. */
export interface ProjectAccess {
  /**
   * Throws unless the caller may do `permission` in the project. A project the caller cannot
   * see is `hidden()` (NOT_FOUND of the thing asked for: a workflow of an invisible project
   * does not exist for them), one they see but may not change is PERMISSION_DENIED.
   */
  require(caller: Caller, projectId: string, permission: ProjectPermission, hidden: () => AppError): Promise<void>;
  /**
   * The projects in which the caller may do `permission` (a list's): undefined = every project
   * of the org. An API key whose scopes do not allow it is PERMISSION_DENIED.
   */
  visibleProjects(caller: Caller, permission: ProjectPermission): Promise<string[] | undefined>;
}

/**
 * Project access through the project service, the caller's role in each project cached per
 * tenant (`projectAccessCacheKey`, dropped by the project service on every change to the
 * project or its members). A project the caller cannot see is never cached.
 */
export function createProjectAccess(projects: GrpcClient<typeof ProjectServiceService>, cache: TenantCache): ProjectAccess {
  const roleIn = (caller: Caller, projectId: string): Promise<string> =>
    cache.getOrLoadField(caller.principal.tenantId, projectAccessCacheKey(projectId), caller.principal.subject, PROJECT_ACCESS_TTL_SECONDS, async () =>
      (await projects.getProject({ id: projectId }, caller.upstream)).callerProjectRole,
    );
  return {
    async require(caller, projectId, permission, hidden) {
      let projectRole: string;
      try {
        projectRole = await roleIn(caller, projectId);
      } catch (err) {
        if (isAppError(err) && err.kind === 'NOT_FOUND') throw hidden();
        throw err;
      }
      try {
        requireProjectPermission({ ...caller.principal, projectRole: projectRole || undefined }, permission, projectId);
      } catch (err) {
        if (isAppError(err) && err.kind === 'NOT_FOUND') throw hidden();
        throw err;
      }
    },

    async visibleProjects(caller, permission) {
      requireProjectListPermission(caller.principal, permission);
      if (seesEveryProject(caller.principal)) return undefined;
      const boundTo = boundProjectOf(caller.principal);
      if (boundTo !== undefined) return canInProject(caller.principal, permission, boundTo) ? [boundTo] : [];
      const ids: string[] = [];
      let cursor = '';
      do {
        const { items, page } = await projects.listProjects({ page: { pageSize: 200, cursor }, includeArchived: true }, caller.upstream);
        ids.push(...items.map((project) => project.id));
        cursor = page?.nextCursor ?? '';
      } while (cursor !== '' && ids.length < MAX_VISIBLE_PROJECTS);
      return ids;
    },
  };
}

/** The NOT_FOUND of a workflow that does not exist, is another tenant's, or sits in a project the caller cannot see. */
export const workflowNotFound = () => notFound('Workflow');
/** Likewise for a run. */
export const runNotFound = () => notFound('Run');
/** Likewise for a project named in a request. */
export const projectNotFound = () => notFound('Project');
