import type { TenantQuery, TenantTx } from '@bulkhead/database';
import { createdSortKeySql, parseCreatedSortKey } from '@bulkhead/grpc-kit';
import type { WorkflowStep } from './step-definitions';

/** A workflow definition row. */
export interface WorkflowRecord {
  id: string;
  projectId: string;
  name: string;
  version: number;
  steps: WorkflowStep[];
  createdAt: Date;
  updatedAt: Date;
  /** `created_at` with microseconds and `id`: the list's sort key, for cursors. */
  sortKey: string;
}

interface WorkflowRow {
  id: string;
  project_id: string;
  name: string;
  version: number;
  steps: WorkflowStep[];
  created_at: Date;
  updated_at: Date;
  sort_at: string;
}

const COLUMNS = `id, project_id, name, version, steps, created_at, updated_at,
  ${createdSortKeySql()} AS sort_at`;

const toRecord = (row: WorkflowRow): WorkflowRecord => ({
  id: row.id,
  projectId: row.project_id,
  name: row.name,
  version: row.version,
  steps: row.steps,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  sortKey: `${row.sort_at}|${row.id}`,
});

/** The unique index naming a workflow within its project. */
export const WORKFLOW_NAME_INDEX = 'workflows_tenant_project_name_key';

export const workflowsRepository = {
  async insert(tx: TenantTx, input: { id: string; projectId: string; name: string; steps: WorkflowStep[]; createdBy: string }): Promise<WorkflowRecord> {
    const { rows } = await tx.query<WorkflowRow>(
      `INSERT INTO workflows (tenant_id, id, project_id, name, steps, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [tx.tenantId, input.id, input.projectId, input.name, JSON.stringify(input.steps), input.createdBy],
    );
    return toRecord(rows[0] as WorkflowRow);
  },

  /** The workflow, locked for update when asked. */
  async find(tx: TenantQuery, id: string, forUpdate = false): Promise<WorkflowRecord | undefined> {
    const { rows } = await tx.query<WorkflowRow>(
      `SELECT ${COLUMNS} FROM workflows WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [tx.tenantId, id],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  /** Newest first; `projectIds` undefined = every project. */
  async list(tx: TenantTx, options: { limit: number; after?: string | undefined; projectIds?: readonly string[] | undefined }): Promise<WorkflowRecord[]> {
    const values: unknown[] = [tx.tenantId];
    const where = ['tenant_id = $1'];
    if (options.projectIds !== undefined) {
      values.push(options.projectIds);
      where.push(`project_id = ANY($${values.length}::uuid[])`);
    }
    if (options.after !== undefined) {
      const [at, id] = parseCreatedSortKey(options.after);
      values.push(at, id);
      where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(options.limit);
    const { rows } = await tx.query<WorkflowRow>(
      `SELECT ${COLUMNS} FROM workflows WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  },

  /** Writes the new name and steps and increments the version. */
  async update(tx: TenantTx, id: string, patch: { name: string; steps: WorkflowStep[] }): Promise<WorkflowRecord> {
    const { rows } = await tx.query<WorkflowRow>(
      `UPDATE workflows SET name = $3, steps = $4, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [tx.tenantId, id, patch.name, JSON.stringify(patch.steps)],
    );
    return toRecord(rows[0] as WorkflowRow);
  },

  async delete(tx: TenantTx, id: string): Promise<void> {
    await tx.query('DELETE FROM workflows WHERE tenant_id = $1 AND id = $2', [tx.tenantId, id]);
  },

  /** Workflows the organization has. */
  async count(tx: TenantTx): Promise<number> {
    const { rows } = await tx.query<{ count: string }>('SELECT count(*) AS count FROM workflows WHERE tenant_id = $1', [tx.tenantId]);
    return Number(rows[0]?.count ?? 0);
  },

  /** Workflows the organization has, under a per-tenant lock so concurrent creates cannot pass the plan limit. */
  async lockedCount(tx: TenantTx): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('workflows:' || $1, 0))`, [tx.tenantId]);
    return workflowsRepository.count(tx);
  },
};
