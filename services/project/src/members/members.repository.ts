import type { TenantTx } from '@bulkhead/database';
import type { ProjectRole } from '@bulkhead/permissions';

/** A project member row. */
export interface ProjectMemberRecord {
  userId: string;
  role: string;
  addedAt: Date;
}

interface MemberRow {
  user_id: string;
  role: string;
  added_at: Date;
}

const toRecord = (row: MemberRow): ProjectMemberRecord => ({ userId: row.user_id, role: row.role, addedAt: row.added_at });

export interface MemberGrant {
  projectId: string;
  userId: string;
  role: ProjectRole;
}

/** Every statement filters by the tenant (from the caller's token); RLS is the backstop. */
export const membersRepository = {
  /** Adds the member, or changes their role (keeping when they were added). */
  async upsert(tx: TenantTx, tenantId: string, grant: MemberGrant): Promise<ProjectMemberRecord> {
    const { rows } = await tx.query<MemberRow>(
      `INSERT INTO project_members (tenant_id, project_id, user_id, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, project_id, user_id) DO UPDATE SET role = EXCLUDED.role
       RETURNING user_id, role, added_at`,
      [tenantId, grant.projectId, grant.userId, grant.role],
    );
    return toRecord(rows[0] as MemberRow);
  },

  /** The user's role in the project; undefined when they are not a member. */
  async roleOf(tx: TenantTx, tenantId: string, projectId: string, userId: string): Promise<string | undefined> {
    const { rows } = await tx.query<{ role: string }>(
      'SELECT role FROM project_members WHERE tenant_id = $1 AND project_id = $2 AND user_id = $3',
      [tenantId, projectId, userId],
    );
    return rows[0]?.role;
  },

  /** Ordered by user id; `limit` rows after the user id `after`. */
  async list(tx: TenantTx, tenantId: string, projectId: string, limit: number, after: string | undefined): Promise<ProjectMemberRecord[]> {
    const { rows } = await tx.query<MemberRow>(
      `SELECT user_id, role, added_at FROM project_members
        WHERE tenant_id = $1 AND project_id = $2 AND ($4::uuid IS NULL OR user_id > $4::uuid)
        ORDER BY user_id LIMIT $3`,
      [tenantId, projectId, limit, after ?? null],
    );
    return rows.map(toRecord);
  },

  /** True when the user was a member. */
  async remove(tx: TenantTx, tenantId: string, projectId: string, userId: string): Promise<boolean> {
    const { rowCount } = await tx.query('DELETE FROM project_members WHERE tenant_id = $1 AND project_id = $2 AND user_id = $3', [
      tenantId,
      projectId,
      userId,
    ]);
    return rowCount > 0;
  },
};
