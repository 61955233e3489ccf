import { AppError } from '@bulkhead/errors';
import type { OrgRole } from '@bulkhead/permissions';
import type { IdentityDb } from '../identity-db';
import { uniqueViolationOf } from '../identity-db';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: Date;
}

export interface MembershipRecord {
  organizationId: string;
  organizationName: string;
  role: OrgRole;
}

type UserRow = { id: string; email: string; name: string; password_hash: string; created_at: Date };

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
});

/** Users, the organizations identity knows of, and who belongs where. */
export const accountsRepository = {
  /** Inserts a user; a taken email (case-insensitively) is ALREADY_EXISTS `EMAIL_TAKEN`. */
  async insertUser(db: IdentityDb, user: Omit<UserRecord, 'createdAt'>): Promise<UserRecord> {
    try {
      const { rows } = await db.query<UserRow>(
        'INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4) RETURNING *',
        [user.id, user.email, user.name, user.passwordHash],
      );
      return toUser(rows[0] as UserRow);
    } catch (err) {
      if (uniqueViolationOf(err) !== 'users_email_key') throw err;
      throw new AppError({
        kind: 'ALREADY_EXISTS',
        code: 'EMAIL_TAKEN',
        message: 'An account with this email already exists.',
        fieldViolations: [{ field: 'email', description: 'is already registered' }],
      });
    }
  },

  async findUserByEmail(db: IdentityDb, email: string): Promise<UserRecord | undefined> {
    const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  },

  async findUserById(db: IdentityDb, id: string): Promise<UserRecord | undefined> {
    const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  },

  async insertMembership(db: IdentityDb, membership: { organizationId: string; userId: string; role: OrgRole }): Promise<void> {
    await db.query('INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [
      membership.organizationId,
      membership.userId,
      membership.role,
    ]);
  },

  /** The user's memberships, oldest first (the first is the default organization at login). */
  async listMemberships(db: IdentityDb, userId: string): Promise<MembershipRecord[]> {
    const { rows } = await db.query<{ organization_id: string; name: string; role: OrgRole }>(
      `SELECT m.organization_id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id
       WHERE m.user_id = $1 ORDER BY m.created_at, m.organization_id`,
      [userId],
    );
    return rows.map((row) => ({ organizationId: row.organization_id, organizationName: row.name, role: row.role }));
  },

  async findMembership(db: IdentityDb, userId: string, organizationId: string): Promise<MembershipRecord | undefined> {
    const { rows } = await db.query<{ organization_id: string; name: string; role: OrgRole }>(
      `SELECT m.organization_id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id
       WHERE m.user_id = $1 AND m.organization_id = $2`,
      [userId, organizationId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { organizationId: row.organization_id, organizationName: row.name, role: row.role };
  },
};
