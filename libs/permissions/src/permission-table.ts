import { AppError } from '@bulkhead/errors';
import { keyDenied, keyRefusalOf, type PermissionCaller } from './key-limits';

/** An organization role (DESIGN "Tenancy model"). */
export const ORG_ROLES = ['owner', 'admin', 'member', 'viewer', 'auditor'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** The roles an API key may act with: any but owner (a key never owns an org). */
export const API_KEY_ROLES = ['admin', 'member', 'viewer', 'auditor'] as const satisfies readonly OrgRole[];
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * The role of a platform service acting for an org with a token the auth service minted for
 * that one call (principal type `service`). No user or API key ever holds it.
 */
export const SERVICE_ROLE = 'service';
export type CallerRole = OrgRole | typeof SERVICE_ROLE;

const EVERY_ORG_ROLE = ORG_ROLES;

/**
 * The permission table: every action a caller may attempt, and the roles allowed to.
 * RPC handlers ask {@link requirePermission}; none compares role strings itself.
 */
export const PERMISSIONS = {
  /** Create, list and revoke the organization's API keys. */
  'apiKeys.manage': ['owner', 'admin'],
  /** Create the organization's profile on its shard while the auth service registers it. */
  'org.provision': [SERVICE_ROLE],
  /** Read the organization's profile, plan and settings. */
  'org.read': EVERY_ORG_ROLE,
  /** Read the organization's usage against its plan's limits. */
  'org.usage.read': EVERY_ORG_ROLE,
  /** Find which organization a slug (subdomain) names: any member or key of some org, never a service. */
  'org.resolveSlug': EVERY_ORG_ROLE,
  /** Rename, change the slug or the settings. */
  'org.update': ['owner', 'admin'],
  /** Move the organization to another plan. */
  'org.plan.change': ['owner'],
  /** Delete the organization and its data. */
  'org.delete': ['owner'],
  /** List the members and their roles. */
  'members.read': EVERY_ORG_ROLE,
  /** Find whether one user is a member (the project service asks before giving them a project role). */
  'members.lookup': EVERY_ORG_ROLE,
  /** Change members' roles and remove members. */
  'members.manage': ['owner', 'admin'],
  /** Make someone an owner, or change an owner's role. */
  'members.grantOwner': ['owner'],
  /** List the organization's invitations. */
  'invitations.read': ['owner', 'admin'],
  /** Create and revoke invitations. */
  'invitations.manage': ['owner', 'admin'],
  /** Redeem an invitation for the user the auth service is adding. */
  'invitations.redeem': [SERVICE_ROLE],
  /** Create a project (the creator becomes its admin). */
  'projects.create': ['owner', 'admin', 'member'],
  /** See the organization's agents (never their credentials); the workflow service checks a definition's agents. */
  'agents.read': [...EVERY_ORG_ROLE, SERVICE_ROLE],
  /** Create, change, disable and delete agents, and set their credentials. */
  'agents.manage': ['owner', 'admin'],
  /** Run an agent once; the workflow service's workers invoke with a service token for the tenant. */
  'agents.invoke': ['owner', 'admin', 'member', SERVICE_ROLE],
  /** Add and remove a knowledge-qa agent's documents. */
  'agents.documents.manage': ['owner', 'admin'],
  /** Review the organization's compliance log: list, get, export and verify its audit events. */
  'audit.read': ['owner', 'admin', 'auditor'],
} as const satisfies Record<string, readonly CallerRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

/**
 * True when the caller's role is allowed `permission` and, for an API key, its token's scopes
 * and project allow it too ({@link keyRefusalOf}); an unknown role is allowed nothing.
 */
export function can(caller: PermissionCaller, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(caller.role) && keyRefusalOf(caller, permission) === undefined;
}

/** The PERMISSION_DENIED error naming the permission the caller lacked. */
export function permissionDenied(permission: string): AppError {
  return new AppError({
    kind: 'PERMISSION_DENIED',
    code: 'PERMISSION_DENIED',
    message: `Your role in this organization does not allow ${permission}.`,
    details: { permission },
  });
}

/**
 * Throws PERMISSION_DENIED naming the permission unless the caller's role allows it and, for
 * an API key, its scopes and project do too (the error then says which of them refused).
 */
export function requirePermission(caller: PermissionCaller, permission: Permission): void {
  if (!(PERMISSIONS[permission] as readonly string[]).includes(caller.role)) throw permissionDenied(permission);
  const refusal = keyRefusalOf(caller, permission);
  if (refusal !== undefined && refusal !== 'elsewhere') throw keyDenied(permission, refusal, caller);
}
