import { AppError } from '@bulkhead/errors';

/** An organization role (DESIGN "Tenancy model"). */
export const ORG_ROLES = ['owner', 'admin', 'member', 'viewer', 'auditor'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** The roles an API key may act with: any but owner (a key never owns an org). */
export const API_KEY_ROLES = ['admin', 'member', 'viewer', 'auditor'] as const satisfies readonly OrgRole[];
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * The permission table: every action a caller may attempt, and the org roles allowed to.
 * RPC handlers ask {@link requirePermission}; none compares role strings itself.
 */
export const PERMISSIONS = {
  /** Create, list and revoke the organization's API keys. */
  'apiKeys.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly OrgRole[]>;

export type Permission = keyof typeof PERMISSIONS;

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

/** True when `role` is allowed `permission`; an unknown role is allowed nothing. */
export function can(role: string, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(role);
}

/** Throws PERMISSION_DENIED naming the permission unless the caller's role allows it. */
export function requirePermission(caller: { readonly role: string }, permission: Permission): void {
  if (can(caller.role, permission)) return;
  throw new AppError({
    kind: 'PERMISSION_DENIED',
    code: 'PERMISSION_DENIED',
    message: `Your role in this organization does not allow ${permission}.`,
    details: { permission },
  });
}
