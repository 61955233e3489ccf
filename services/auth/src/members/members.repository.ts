import type { OrgRole } from '@bulkhead/permissions';
import type { IdentityDb } from '../identity-db';

/** A member of one organization. */
export interface MemberRecord {
  userId: string;
  email: string;
  name: string;
  role: OrgRole;
  joinedAt: Date;
  /** `joined_at` as PostgreSQL prints it (microseconds kept): the list's sort key. */
  joinedKey: string;
}

type MemberRow = { user_id: string; email: string; name: string; role: OrgRole; created_at: Date; joined_key: string };

const COLUMNS = 'm.user_id, u.email, u.name, m.role, m.created_at, m.created_at::text AS joined_key';

const toMember = (row: MemberRow): MemberRecord => ({
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  joinedAt: row.created_at,
  joinedKey: row.joined_key,
});

/** The members of one organization: every query names it. */
export const membersRepository = {
  /** Oldest first, continuing after `after` (joined key and user id); fetches `limit` rows. */
  async list(db: IdentityDb, organizationId: string, limit: number, after: { joinedKey: string; userId: string } | undefined): Promise<MemberRecord[]> {
    const { rows } = await db.query<MemberRow>(
      `SELECT ${COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.organization_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2::timestamptz, $3::uuid))
       ORDER BY m.created_at, m.user_id LIMIT $4`,
      [organizationId, after?.joinedKey ?? null, after?.userId ?? null, limit],
    );
    return rows.map(toMember);
  },

  async count(db: IdentityDb, organizationId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM memberships WHERE organization_id = $1', [organizationId]);
    return rows[0]?.n ?? 0;
  },

  async countOwners(db: IdentityDb, organizationId: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memberships WHERE organization_id = $1 AND role = 'owner'",
      [organizationId],
    );
    return rows[0]?.n ?? 0;
  },

  async find(db: IdentityDb, organizationId: string, userId: string): Promise<MemberRecord | undefined> {
    const { rows } = await db.query<MemberRow>(
      `SELECT ${COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2`,
      [organizationId, userId],
    );
    return rows[0] === undefined ? undefined : toMember(rows[0]);
  },

  async changeRole(db: IdentityDb, organizationId: string, userId: string, role: OrgRole): Promise<void> {
    await db.query('UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2', [organizationId, userId, role]);
  },

  async remove(db: IdentityDb, organizationId: string, userId: string): Promise<void> {
    await db.query('DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2', [organizationId, userId]);
  },
};
