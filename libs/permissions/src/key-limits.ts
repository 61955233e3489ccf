import { AppError } from '@bulkhead/errors';
import type { Permission } from './permission-table';
import type { ProjectPermission } from './project-permissions';
import type { Scope, ScopeResource } from './scopes';

/**
 * The caller as the permission table sees it: their org role and, for an API key, the limits
 * its access token carries (`pty: apiKey`, the `scope` claim, the `pid` claim). A `Principal`
 * of @bulkhead/tokens is one.
 */
export interface PermissionCaller {
  readonly role: string;
  /** `user`, `apiKey` or `service`; only `apiKey` callers are held to scopes and a project. */
  readonly type?: string;
  /** The key's scopes; empty: every scope its role allows. */
  readonly scopes?: readonly string[];
  /** The one project an API key is bound to; absent: the whole organization. */
  readonly projectId?: string | undefined;
}

/**
 * What an API key needs for a permission, on top of its role: `never` (no key may, whatever it
 * holds), or the scope it must hold (`none`: any key its role allows) and how far it reaches:
 * `project` when a key bound to one project may do it inside that project, `org` when the
 * action is the organization's and a project-bound key is refused.
 */
export type KeyGrant =
  | 'never'
  | {
      readonly scope: Scope | 'none';
      readonly reach: 'project' | 'org';
      /** Resources any scope of which stands in for `scope` (seeing a project is implied by a scope inside it). */
      readonly impliedBy?: readonly ScopeResource[];
    };

/**
 * The API key half of the permission table: every permission, org and project alike, with what
 * a key needs for it. A permission missing here does not compile.
 */
export const KEY_GRANTS = {
  // A key cannot mint keys: key management is for people only.
  'apiKeys.manage': 'never',
  'org.provision': 'never',
  'invitations.redeem': 'never',
  // The org's profile and plan are the context every key works in (its plan limits apply to it).
  'org.read': { scope: 'none', reach: 'project' },
  'org.resolveSlug': { scope: 'none', reach: 'project' },
  'org.usage.read': { scope: 'org:read', reach: 'org' },
  'org.update': { scope: 'org:write', reach: 'org' },
  'org.plan.change': { scope: 'org:write', reach: 'org' },
  'org.delete': { scope: 'org:write', reach: 'org' },
  'members.read': { scope: 'members:read', reach: 'org' },
  // Whoever may manage a project's members may learn whether the user they add is in the org.
  'members.lookup': { scope: 'none', reach: 'project' },
  'members.manage': { scope: 'members:write', reach: 'org' },
  'members.grantOwner': { scope: 'members:write', reach: 'org' },
  'invitations.read': { scope: 'invitations:read', reach: 'org' },
  'invitations.manage': { scope: 'invitations:write', reach: 'org' },
  'projects.create': { scope: 'projects:write', reach: 'org' },
  // Agents are the organization's tools that its projects' workflows call: a project-bound key
  // may see and invoke them (to author and test its workflows) but never change them.
  'agents.read': { scope: 'agents:read', reach: 'project' },
  'agents.invoke': { scope: 'agents:invoke', reach: 'project' },
  'agents.manage': { scope: 'agents:write', reach: 'org' },
  'agents.documents.manage': { scope: 'agents:write', reach: 'org' },
  'audit.read': { scope: 'audit:read', reach: 'org' },
  // A key that may read or change a project's workflows or runs may see the project they live in
  // (the workflow service asks the project service about it with the key's own token).
  'project.read': { scope: 'projects:read', reach: 'project', impliedBy: ['workflows', 'runs'] },
  'project.update': { scope: 'projects:write', reach: 'project' },
  'project.delete': { scope: 'projects:write', reach: 'project' },
  'project.members.manage': { scope: 'projects:write', reach: 'project' },
  'workflows.read': { scope: 'workflows:read', reach: 'project' },
  'workflows.write': { scope: 'workflows:write', reach: 'project' },
  'runs.read': { scope: 'runs:read', reach: 'project' },
  'runs.start': { scope: 'runs:write', reach: 'project' },
  'runs.control': { scope: 'runs:control', reach: 'project' },
} as const satisfies Record<Permission | ProjectPermission, KeyGrant>;

/**
 * Why an API key may not do `permission` (in `projectId`, when the action concerns one project):
 * `never` (no key may), `scope` (its scopes lack the one needed), `project` (it is bound to one
 * project and this is the organization's), `elsewhere` (the project is not the key's); undefined
 * when its token allows it, and always for users and services (their role decides alone).
 */
export function keyRefusalOf(caller: PermissionCaller, permission: Permission | ProjectPermission, projectId?: string): 'never' | 'scope' | 'project' | 'elsewhere' | undefined {
  if (caller.type !== 'apiKey') return undefined;
  const grant: KeyGrant = KEY_GRANTS[permission];
  if (grant === 'never') return 'never';
  const bound = caller.projectId;
  if (bound !== undefined && grant.reach === 'org') return 'project';
  if (bound !== undefined && projectId !== undefined && projectId.toLowerCase() !== bound.toLowerCase()) return 'elsewhere';
  const scopes = caller.scopes ?? [];
  if (grant.scope === 'none' || scopes.length === 0 || scopes.includes(grant.scope)) return undefined;
  const implied = grant.impliedBy ?? [];
  if (scopes.some((scope) => implied.some((resource) => scope.startsWith(`${resource}:`)))) return undefined;
  return 'scope';
  return undefined;
}

/** The PERMISSION_DENIED of a key refused by {@link keyRefusalOf} for a reason other than `elsewhere`. */
export function keyDenied(permission: string, refusal: 'never' | 'scope' | 'project', caller: PermissionCaller): AppError {
  if (refusal === 'never') {
    return new AppError({ kind: 'PERMISSION_DENIED', code: 'API_KEY_NOT_ALLOWED', message: `An API key can never ${permission}; sign in as a person.`, details: { permission } });
  }
  if (refusal === 'project') {
    return new AppError({
      kind: 'PERMISSION_DENIED',
      code: 'API_KEY_PROJECT_BOUND',
      message: `This API key is bound to project ${caller.projectId ?? ''}; ${permission} concerns the whole organization.`,
      details: { permission, projectId: caller.projectId ?? '' },
    });
  }
  const grant = KEY_GRANTS[permission as keyof typeof KEY_GRANTS] as KeyGrant;
  const scope = grant === 'never' ? '' : grant.scope;
  return new AppError({
    kind: 'PERMISSION_DENIED',
    code: 'API_KEY_SCOPE_MISSING',
    message: `This API key's scopes do not include ${scope}, which ${permission} needs.`,
    details: { permission, scope },
  });
}

/** The project an API key is bound to; undefined for users, services and organization-wide keys. */
export function boundProjectOf(caller: PermissionCaller): string | undefined {
  return caller.type === 'apiKey' ? caller.projectId : undefined;
}
