import { AppError } from '@bulkhead/errors';
import { keyDenied, keyRefusalOf, type PermissionCaller } from './key-limits';
import type { Permission } from './permission-table';
import type { PlatformPermission } from './platform-permissions';
import { projectHidden, type ProjectPermission } from './project-permissions';

/**
 * What an authenticated REST route asks of its caller: a permission of the table (and the path
 * parameter naming the project it acts on, when there is one), `self` for what concerns the
 * caller alone (any caller), `usersOnly` for what only a signed-in person may do, or a platform
 * permission (platform roles, which API keys never hold).
 */
export type RouteAccess =
  | { readonly permission: Permission | ProjectPermission; readonly projectParam?: string }
  | { readonly platform: PlatformPermission }
  | 'self'
  | 'usersOnly';

const inProject = (permission: ProjectPermission) => ({ permission, projectParam: 'id' }) as const;

/**
 * Every authenticated route of the gateway (`METHOD /path` as the router spells it) and what it
 * asks; the gateway refuses to start with an authenticated route missing here. The services
 * behind the routes ask the same permissions of the table, so a caller is answered alike at the
 * gateway and over gRPC.
 */
export const ROUTE_ACCESS = {
  'GET /v1/auth/me': 'self',
  'POST /v1/auth/logout': 'usersOnly',
  'POST /v1/auth/switch-org': 'usersOnly',
  'GET /v1/api-keys': { permission: 'apiKeys.manage' },
  'POST /v1/api-keys': { permission: 'apiKeys.manage' },
  'DELETE /v1/api-keys/:id': { permission: 'apiKeys.manage' },
  'GET /v1/orgs': 'self',
  'POST /v1/orgs': 'usersOnly',
  'GET /v1/orgs/:orgId': { permission: 'org.read' },
  'PATCH /v1/orgs/:orgId': { permission: 'org.update' },
  'DELETE /v1/orgs/:orgId': { permission: 'org.delete' },
  'GET /v1/orgs/:orgId/usage': { permission: 'org.usage.read' },
  'GET /v1/orgs/:orgId/members': { permission: 'members.read' },
  'PATCH /v1/orgs/:orgId/members/:userId': { permission: 'members.manage' },
  'DELETE /v1/orgs/:orgId/members/:userId': { permission: 'members.manage' },
  'POST /v1/orgs/:orgId/invitations': { permission: 'invitations.manage' },
  'GET /v1/orgs/:orgId/invitations': { permission: 'invitations.read' },
  'DELETE /v1/orgs/:orgId/invitations/:id': { permission: 'invitations.manage' },
  'POST /v1/invitations/accept': 'usersOnly',
  'GET /v1/projects': { permission: 'project.read' },
  'POST /v1/projects': { permission: 'projects.create' },
  'GET /v1/projects/:id': inProject('project.read'),
  'PATCH /v1/projects/:id': inProject('project.update'),
  'DELETE /v1/projects/:id': inProject('project.delete'),
  'GET /v1/projects/:id/members': inProject('project.read'),
  'PUT /v1/projects/:id/members/:userId': inProject('project.members.manage'),
  'DELETE /v1/projects/:id/members/:userId': inProject('project.members.manage'),
  'GET /v1/workflows': { permission: 'workflows.read' },
  'POST /v1/workflows': { permission: 'workflows.write' },
  'GET /v1/workflows/:id': { permission: 'workflows.read' },
  'PATCH /v1/workflows/:id': { permission: 'workflows.write' },
  'DELETE /v1/workflows/:id': { permission: 'workflows.write' },
  'POST /v1/workflows/:id/runs': { permission: 'runs.start' },
  'GET /v1/runs': { permission: 'runs.read' },
  'GET /v1/runs/:id': { permission: 'runs.read' },
  'GET /v1/runs/:id/steps/:stepId': { permission: 'runs.read' },
  'POST /v1/runs/:id/pause': { permission: 'runs.control' },
  'POST /v1/runs/:id/resume': { permission: 'runs.control' },
  'POST /v1/runs/:id/cancel': { permission: 'runs.control' },
  'POST /v1/runs/:id/reset': { permission: 'runs.control' },
  'GET /v1/agents': { permission: 'agents.read' },
  'POST /v1/agents': { permission: 'agents.manage' },
  'GET /v1/agents/:id': { permission: 'agents.read' },
  'PATCH /v1/agents/:id': { permission: 'agents.manage' },
  'DELETE /v1/agents/:id': { permission: 'agents.manage' },
  'POST /v1/agents/:id/invoke': { permission: 'agents.invoke' },
  'GET /v1/agents/:id/documents': { permission: 'agents.read' },
  'POST /v1/agents/:id/documents': { permission: 'agents.documents.manage' },
  'DELETE /v1/agents/:id/documents/:docId': { permission: 'agents.documents.manage' },
  'GET /v1/audit/events': { permission: 'audit.read' },
  'GET /v1/audit/events/:id': { permission: 'audit.read' },
  'GET /v1/audit/export': { permission: 'audit.read' },
  'GET /v1/audit/verify': { permission: 'audit.read' },
  'GET /v1/platform/audit/events': { platform: 'platform.audit.read' },
  'GET /v1/platform/audit/events/:id': { platform: 'platform.audit.read' },
  'GET /v1/platform/audit/export': { platform: 'platform.audit.read' },
  'GET /v1/platform/audit/verify': { platform: 'platform.audit.read' },
} as const satisfies Record<string, RouteAccess>;

export type RouteKey = keyof typeof ROUTE_ACCESS;

/** For what only a signed-in user may do (not an API key, not a service). */
export function usersOnly(): AppError {
  return new AppError({ kind: 'PERMISSION_DENIED', code: 'USER_ONLY', message: 'Only a signed-in user can do this; API keys cannot.' });
}

/**
 * The token half of a route's check, made at the gateway before any backend is called: an API
 * key is refused what its scopes or project do not allow (PERMISSION_DENIED naming why; a
 * project that is not its own is NOT_FOUND), and a `usersOnly` route. Roles, project roles and
 * platform roles are the backends' to decide, from the same table. `params` are the route's
 * path parameters.
 */
export function requireRouteAccess(caller: PermissionCaller, access: RouteAccess, params: Readonly<Record<string, string | undefined>>): void {
  if (caller.type !== 'apiKey' || access === 'self') return;
  if (access === 'usersOnly') throw usersOnly();
  if ('platform' in access) return;
  const projectId = access.projectParam === undefined ? undefined : params[access.projectParam];
  const refusal = keyRefusalOf(caller, access.permission, projectId);
  if (refusal === 'elsewhere') throw projectHidden();
  if (refusal !== undefined) throw keyDenied(access.permission, refusal, caller);
}
