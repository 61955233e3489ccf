import type { TenantQuery, TenantTx } from '@bulkhead/database';
import { createdSortKeySql, parseCreatedSortKey } from '@bulkhead/grpc-kit';

/** A project row. */
export interface ProjectRecord {
  id: string;
  name: string;
  description: string;
  settings: Record<string, unknown>;
  archived: boolean;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** `created_at` with microseconds and `id`: the list's sort key, for cursors. */
  sortKey: string;
}

interface ProjectRow {
  id: string;
  name: string;
  description: string;
  settings: Record<string, unknown>;
  archived: boolean;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  sort_at: string;
}

const COLUMNS = `p.id, p.name, p.description, p.settings, p.archived, p.created_by, p.created_at, p.updated_at,
  ${createdSortKeySql('p.created_at')} AS sort_at`;

const toRecord = (row: ProjectRow): ProjectRecord => ({
  id: row.id,
  name: row.name,
  description: row.description,
  settings: row.settings,
  archived: row.archived,
  createdBy: row.created_by,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  sortKey: `${row.sort_at}|${row.id}`,
});

/** A project with the role the caller holds in it (none when they are not a project member). */
export interface ProjectWithRole {
  project: ProjectRecord;
  projectRole: string | undefined;
}

export interface NewProject {
  id: string;
  name: string;
  description: string;
  settings: Record<string, unknown>;
  createdBy: string;
}

export interface ProjectPatch {
  name?: string | undefined;
  description?: string | undefined;
  settings?: Record<string, unknown> | undefined;
  archived?: boolean | undefined;
}

export interface ListProjectsQuery {
  limit: number;
  after: string | undefined;
  includeArchived: boolean;
  /** When set, only the projects this user is a member of (callers who do not see every project). */
  memberUserId: string | undefined;
}

/** Every statement filters by the tenant (from the caller's token); RLS is the backstop. */
export const projectsRepository = {
  /** Serialises project creation per tenant until the transaction ends, so the limit check holds. */
  async lockProjectCount(tx: TenantTx, tenantId: string): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('projects.count:' || $1, 0))", [tenantId]);
  },

  async count(tx: TenantTx, tenantId: string): Promise<number> {
    const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM projects WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.n ?? 0;
  },

  async insert(tx: TenantTx, tenantId: string, project: NewProject): Promise<ProjectRecord> {
    const { rows } = await tx.query<ProjectRow>(
      `INSERT INTO projects AS p (tenant_id, id, name, description, settings, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [tenantId, project.id, project.name, project.description, JSON.stringify(project.settings), project.createdBy],
    );
    return toRecord(rows[0] as ProjectRow);
  },

  /** The project and the user's role in it; undefined when the tenant has no such project. */
  async findWithRole(tx: TenantQuery, tenantId: string, id: string, userId: string | undefined): Promise<ProjectWithRole | undefined> {
    const { rows } = await tx.query<ProjectRow & { project_role: string | null }>(
      `SELECT ${COLUMNS}, m.role AS project_role
         FROM projects p
         LEFT JOIN project_members m ON m.tenant_id = p.tenant_id AND m.project_id = p.id AND m.user_id = $3
        WHERE p.tenant_id = $1 AND p.id = $2`,
      [tenantId, id, userId ?? null],
    );
    const row = rows[0];
    return row === undefined ? undefined : { project: toRecord(row), projectRole: row.project_role ?? undefined };
  },

  /** Newest first; `limit` rows (ask for one more than the page to know whether another follows). */
  async list(tx: TenantTx, tenantId: string, query: ListProjectsQuery): Promise<ProjectRecord[]> {
    const values: unknown[] = [tenantId, query.limit];
    const where = ['p.tenant_id = $1'];
    let join = '';
    if (query.memberUserId !== undefined) {
      values.push(query.memberUserId);
      join = `JOIN project_members m ON m.tenant_id = p.tenant_id AND m.project_id = p.id AND m.user_id = $${values.length}`;
    }
    if (!query.includeArchived) where.push('NOT p.archived');
    if (query.after !== undefined) {
      const [at, id] = parseCreatedSortKey(query.after);
      values.push(at, id);
      where.push(`(p.created_at, p.id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    const { rows } = await tx.query<ProjectRow>(
      `SELECT ${COLUMNS} FROM projects p ${join}
        WHERE ${where.join(' AND ')}
        ORDER BY p.created_at DESC, p.id DESC
        LIMIT $2`,
      values,
    );
    return rows.map(toRecord);
  },

  /** Applies the fields that are set; undefined when the tenant has no such project. */
  async update(tx: TenantTx, tenantId: string, id: string, patch: ProjectPatch): Promise<ProjectRecord | undefined> {
    const values: unknown[] = [tenantId, id];
    const sets: string[] = [];
    const set = (column: string, value: unknown): void => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.description !== undefined) set('description', patch.description);
    if (patch.settings !== undefined) set('settings', JSON.stringify(patch.settings));
    if (patch.archived !== undefined) set('archived', patch.archived);
    sets.push('updated_at = now()');
    const { rows } = await tx.query<ProjectRow>(
      `UPDATE projects AS p SET ${sets.join(', ')} WHERE p.tenant_id = $1 AND p.id = $2 RETURNING ${COLUMNS}`,
      values,
    );
    const row = rows[0];
    return row === undefined ? undefined : toRecord(row);
  },

  /** True when a project was deleted (its members go with it). */
  async delete(tx: TenantTx, tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await tx.query('DELETE FROM projects WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rowCount > 0;
  },
};
