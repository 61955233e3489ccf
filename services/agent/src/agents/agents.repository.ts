import type { TenantTx } from '@bulkhead/database';
import { createdSortKeySql, parseCreatedSortKey } from '@bulkhead/grpc-kit';
import type { AgentConfig, AgentKind } from '../kinds/agent-kinds';

export type AgentStatus = 'active' | 'disabled';

export interface AgentRecord {
  id: string;
  name: string;
  kind: AgentKind;
  config: AgentConfig;
  status: AgentStatus;
  credentialsSealed: Buffer | null;
  createdAt: Date;
  updatedAt: Date;
  sortKey: string;
}

interface AgentRow {
  id: string;
  name: string;
  kind: AgentKind;
  config: AgentConfig;
  status: AgentStatus;
  credentials_sealed: Buffer | null;
  created_at: Date;
  updated_at: Date;
  sort_at: string;
}

const COLUMNS = `id, name, kind, config, status, credentials_sealed, created_at, updated_at,
  ${createdSortKeySql()} AS sort_at`;

const toRecord = (row: AgentRow): AgentRecord => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  config: row.config,
  status: row.status,
  credentialsSealed: row.credentials_sealed,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  sortKey: `${row.sort_at}|${row.id}`,
});

export const AGENT_NAME_INDEX = 'agents_tenant_name_key';

export const agentsRepository = {
  async insert(tx: TenantTx, agent: { id: string; name: string; kind: AgentKind; config: AgentConfig; status: AgentStatus; credentialsSealed: Buffer | null; createdBy: string }): Promise<AgentRecord> {
    const { rows } = await tx.query<AgentRow>(
      `INSERT INTO agents (tenant_id, id, name, kind, config, status, credentials_sealed, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [tx.tenantId, agent.id, agent.name, agent.kind, JSON.stringify(agent.config), agent.status, agent.credentialsSealed, agent.createdBy],
    );
    return toRecord(rows[0] as AgentRow);
  },

  async find(tx: TenantTx, id: string, forUpdate = false): Promise<AgentRecord | undefined> {
    const { rows } = await tx.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [tx.tenantId, id]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  async list(tx: TenantTx, options: { limit: number; after?: string | undefined }): Promise<AgentRecord[]> {
    const values: unknown[] = [tx.tenantId];
    let where = 'tenant_id = $1';
    if (options.after !== undefined) {
      values.push(...parseCreatedSortKey(options.after));
      where += ' AND (created_at, id) < ($2::timestamptz, $3::uuid)';
    }
    values.push(options.limit);
    const { rows } = await tx.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, values);
    return rows.map(toRecord);
  },

  async update(tx: TenantTx, id: string, agent: { name: string; config: AgentConfig; status: AgentStatus; credentialsSealed: Buffer | null }): Promise<AgentRecord> {
    const { rows } = await tx.query<AgentRow>(
      `UPDATE agents SET name = $3, config = $4, status = $5, credentials_sealed = $6, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [tx.tenantId, id, agent.name, JSON.stringify(agent.config), agent.status, agent.credentialsSealed],
    );
    return toRecord(rows[0] as AgentRow);
  },

  async delete(tx: TenantTx, id: string): Promise<void> {
    await tx.query('DELETE FROM agents WHERE tenant_id = $1 AND id = $2', [tx.tenantId, id]);
  },

  /** The organization's agent count. */
  async count(tx: TenantTx): Promise<number> {
    const { rows } = await tx.query<{ count: string }>('SELECT count(*) AS count FROM agents WHERE tenant_id = $1', [tx.tenantId]);
    return Number(rows[0]?.count ?? 0);
  },

  /** The organization's agent count, under a per-tenant lock so concurrent creates cannot pass the plan limit. */
  async lockedCount(tx: TenantTx): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('agents:' || $1, 0))`, [tx.tenantId]);
    return agentsRepository.count(tx);
  },
};
