export {
  API_KEY_ROLES,
  can,
  isOrgRole,
  ORG_ROLES,
  permissionDenied,
  PERMISSIONS,
  requirePermission,
  SERVICE_ROLE,
} from './permission-table';
export type { ApiKeyRole, CallerRole, OrgRole, Permission } from './permission-table';
export { canInProject, isProjectRole, PROJECT_PERMISSIONS, PROJECT_ROLES, requireProjectListPermission, requireProjectPermission, seesEveryProject } from './project-permissions';
export type { ProjectCaller, ProjectPermission, ProjectRole } from './project-permissions';
export { DEFAULT_PLAN, isPlan, limitsOf, PLAN_LIMITS, PLANS, requireWithinLimit } from './plans';
export type { Plan, PlanLimit, PlanLimits } from './plans';
export { canOnPlatform, isPlatformRole, PLATFORM_PERMISSIONS, PLATFORM_ROLES, requirePlatformPermission } from './platform-permissions';
export type { PlatformPermission, PlatformRole } from './platform-permissions';
export { boundProjectOf, KEY_GRANTS, keyDenied, keyRefusalOf } from './key-limits';
export type { KeyGrant, PermissionCaller } from './key-limits';
export { isScope, SCOPE_CATALOGUE, SCOPE_PATTERN, scopeProblem, SCOPES } from './scopes';
export type { Scope, ScopeResource } from './scopes';
export { requireRouteAccess, ROUTE_ACCESS, usersOnly } from './route-permissions';
export type { RouteAccess, RouteKey } from './route-permissions';
