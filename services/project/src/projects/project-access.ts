import type { TenantQuery } from '@bulkhead/database';
import { notFound } from '@bulkhead/errors';
import { requireProjectPermission, type ProjectPermission } from '@bulkhead/permissions';
import { userIdOf, type Caller } from '../caller';
import { projectsRepository, type ProjectWithRole } from './projects.repository';

/** The NOT_FOUND answered for a project that does not exist, is another tenant's, or is invisible to the caller. */
export const projectNotFound = () => notFound('Project');

/**
 * Loads the project with the caller's role in it (in the same transaction) and lets the
 * permission table decide: NOT_FOUND when the caller may not even see it, PERMISSION_DENIED
 * when they see it but may not do `permission`.
 */
export async function requireProjectAccess(tx: TenantQuery, caller: Caller, projectId: string, permission: ProjectPermission): Promise<ProjectWithRole> {
  const found = await projectsRepository.findWithRole(tx, caller.principal.tenantId, projectId, userIdOf(caller));
  if (found === undefined) throw projectNotFound();
  requireProjectPermission({ ...caller.principal, projectRole: found.projectRole }, permission, projectId);
  return found;
}
