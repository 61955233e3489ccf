import { AppError } from '@bulkhead/errors';

/**
 * Platform-level roles (DESIGN "Tenancy model"): held by a user across every organization,
 * granted only by operators with the identity database's owner credentials
 * (tools/platform-admin), never by a tenant or an API route. Carried in the access token's
 * `plat` claim.
 */
export const PLATFORM_ROLES = ['compliance'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

/** What each platform role may do, whatever organization the caller's token names. */
export const PLATFORM_PERMISSIONS = {
  /** List, read, export and verify the audit log of ANY organization (each read is itself audited there). */
  'platform.audit.read': ['compliance'],
} as const satisfies Record<string, readonly PlatformRole[]>;

export type PlatformPermission = keyof typeof PLATFORM_PERMISSIONS;

export function isPlatformRole(value: string): value is PlatformRole {
  return (PLATFORM_ROLES as readonly string[]).includes(value);
}

/** True when one of the caller's platform roles allows `permission`; no roles allow nothing. */
export function canOnPlatform(caller: { readonly platformRoles?: readonly string[] | undefined }, permission: PlatformPermission): boolean {
  const allowed: readonly string[] = PLATFORM_PERMISSIONS[permission];
  return (caller.platformRoles ?? []).some((role) => allowed.includes(role));
}

/** Throws PERMISSION_DENIED naming the permission unless a platform role of the caller allows it. */
export function requirePlatformPermission(caller: { readonly platformRoles?: readonly string[] | undefined }, permission: PlatformPermission): void {
  if (!canOnPlatform(caller, permission)) {
    throw new AppError({
      kind: 'PERMISSION_DENIED',
      code: 'PLATFORM_ROLE_REQUIRED',
      message: `This needs a platform role that allows ${permission}; organization roles never do.`,
      details: { permission },
    });
  }
}
