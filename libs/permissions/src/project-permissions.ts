import { AppError } from '@bulkhead/errors';
import { boundProjectOf, keyDenied, keyRefusalOf, type PermissionCaller } from './key-limits';
import { permissionDenied, type OrgRole } from './permission-table';

/** A role inside one project (DESIGN "Tenancy model"). */
export const PROJECT_ROLES = ['admin', 'editor', 'viewer'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export function isProjectRole(value: string): value is ProjectRole {
  return (PROJECT_ROLES as readonly string[]).includes(value);
}

interface ProjectGrant {
  /** Org roles allowed this on every project of the org. */
  readonly org: readonly OrgRole[];
  /** Project roles allowed this on their own project. */
  readonly project: readonly ProjectRole[];
}

/**
 * The project half of the permission table: what a caller may do to one project, from their org
 * role (which may reach every project) and their role in that project, if any.
 */
export const PROJECT_PERMISSIONS = {
  /** See the project and its members. Org members and viewers see only their projects. */
  'project.read': { org: ['owner', 'admin', 'auditor'], project: ['admin', 'editor', 'viewer'] },
  /** Rename, describe, change settings, archive. */
  'project.update': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
  'project.delete': { org: ['owner', 'admin'], project: ['admin'] },
  /** Add, change and remove project members. */
  'project.members.manage': { org: ['owner', 'admin'], project: ['admin'] },
  /** See the project's workflows. */
  'workflows.read': { org: ['owner', 'admin', 'auditor'], project: ['admin', 'editor', 'viewer'] },
  /** Create, change and delete the project's workflows. */
  'workflows.write': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
  /** See the runs of the project's workflows and their steps. */
  'runs.read': { org: ['owner', 'admin', 'auditor'], project: ['admin', 'editor', 'viewer'] },
  /** Start runs of the project's workflows. */
  'runs.start': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
  /** Pause, resume, cancel and reset runs of the project's workflows. */
  'runs.control': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
} as const satisfies Record<string, ProjectGrant>;

export type ProjectPermission = keyof typeof PROJECT_PERMISSIONS;

/** The caller as project checks see them: org role, token limits, and their role in the project (if any). */
export interface ProjectCaller extends PermissionCaller {
  readonly projectRole?: string | undefined;
}

function roleAllows(caller: ProjectCaller, permission: ProjectPermission): boolean {
  const grant: ProjectGrant = PROJECT_PERMISSIONS[permission];
  if ((grant.org as readonly string[]).includes(caller.role)) return true;
  return caller.projectRole !== undefined && (grant.project as readonly string[]).includes(caller.projectRole);
}

/** The NOT_FOUND of a project the caller may not see: the same as for one that does not exist. */
export function projectHidden(): AppError {
  return new AppError({ kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND', message: 'Project not found.' });
}

/** True when the caller may do `permission` to the project `projectId` (role, and an API key's scopes and project). */
export function canInProject(caller: ProjectCaller, permission: ProjectPermission, projectId: string): boolean {
  return roleAllows(caller, permission) && keyRefusalOf(caller, permission, projectId) === undefined;
}

/**
 * Throws unless the caller may do `permission` to the project `projectId`: NOT_FOUND when they
 * may not even see it (a project you cannot see does not exist for you, nor does any project
 * but its own for a project-bound key), PERMISSION_DENIED otherwise.
 */
export function requireProjectPermission(caller: ProjectCaller, permission: ProjectPermission, projectId: string): void {
  const refusal = keyRefusalOf(caller, permission, projectId);
  if (refusal === 'elsewhere' || !roleAllows(caller, 'project.read')) {
    throw projectHidden();
  }
  if (!roleAllows(caller, permission)) throw permissionDenied(permission);
  if (refusal !== undefined) throw keyDenied(permission, refusal, caller);
}

/**
 * Throws PERMISSION_DENIED when the caller is an API key whose scopes do not allow
 * `permission` in any project: a list of what lives in projects asks this first, then shows
 * only the projects {@link seesEveryProject} or membership (or a key's own project) allow.
 */
export function requireProjectListPermission(caller: PermissionCaller, permission: ProjectPermission): void {
  const refusal = keyRefusalOf(caller, permission);
  if (refusal !== undefined && refusal !== 'elsewhere') throw keyDenied(permission, refusal, caller);
}

/**
 * True when the caller's org role shows them every project of the org and no API key binds them
 * to one; lists of everyone else show only their projects (a bound key's: at most its own).
 */
export function seesEveryProject(caller: PermissionCaller): boolean {
  return (PROJECT_PERMISSIONS['project.read'].org as readonly string[]).includes(caller.role) && boundProjectOf(caller) === undefined;
}
