import { AppError } from '@bulkhead/errors';
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
  /** See the project's workflows, their runs and steps. */
  'workflows.read': { org: ['owner', 'admin', 'auditor'], project: ['admin', 'editor', 'viewer'] },
  /** Create, change and delete the project's workflows. */
  'workflows.write': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
  /** Start, pause, resume, cancel and reset runs of the project's workflows. */
  'runs.control': { org: ['owner', 'admin'], project: ['admin', 'editor'] },
} as const satisfies Record<string, ProjectGrant>;

export type ProjectPermission = keyof typeof PROJECT_PERMISSIONS;

/** The caller as project checks see them: org role, and their role in the project (if any). */
export interface ProjectCaller {
  readonly role: string;
  readonly projectRole?: string | undefined;
}

/** True when the caller may do `permission` to the project. */
export function canInProject(caller: ProjectCaller, permission: ProjectPermission): boolean {
  const grant: ProjectGrant = PROJECT_PERMISSIONS[permission];
  if ((grant.org as readonly string[]).includes(caller.role)) return true;
  return caller.projectRole !== undefined && (grant.project as readonly string[]).includes(caller.projectRole);
}

/**
 * Throws unless the caller may do `permission` to the project: NOT_FOUND when they may not even
 * see it (a project you cannot see does not exist for you), PERMISSION_DENIED otherwise.
 */
export function requireProjectPermission(caller: ProjectCaller, permission: ProjectPermission): void {
  if (canInProject(caller, permission)) return;
  if (!canInProject(caller, 'project.read')) {
    throw new AppError({ kind: 'NOT_FOUND', code: 'PROJECT_NOT_FOUND', message: 'Project not found.' });
  }
  throw permissionDenied(permission);
}

/** True when the caller's org role shows them every project of the org. */
export function seesEveryProject(caller: { readonly role: string }): boolean {
  return (PROJECT_PERMISSIONS['project.read'].org as readonly string[]).includes(caller.role);
}
