import type { IdentityDb } from '../identity-db';

/**
 * The platform roles operators granted (tools/platform-admin writes them with the owner
 * credentials; this service may only read them).
 */
export const platformRolesRepository = {
  /** The roles `userId` holds now (grants not revoked), sorted: what the access token carries. */
  async liveRoles(db: IdentityDb, userId: string): Promise<string[]> {
    const { rows } = await db.query<{ role: string }>(
      'SELECT role FROM platform_role_grants WHERE user_id = $1 AND revoked_at IS NULL ORDER BY role',
      [userId],
    );
    return rows.map((row) => row.role);
  },
};
