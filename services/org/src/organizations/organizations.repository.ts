import type { TenantTx } from '@bulkhead/database';
import type { Plan } from '@bulkhead/permissions';

/** Settings are a free-form JSON object chosen by the tenant. */
export type OrganizationSettings = Record<string, unknown>;

export interface OrganizationRecord {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  settings: OrganizationSettings;
  createdAt: Date;
  updatedAt: Date;
}

type Row = {
  tenant_id: string;
  name: string;
  slug: string;
  plan: Plan;
  settings: OrganizationSettings;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = 'tenant_id, name, slug, plan, settings, created_at, updated_at';

const toRecord = (row: Row): OrganizationRecord => ({
  id: row.tenant_id,
  name: row.name,
  slug: row.slug,
  plan: row.plan,
  settings: row.settings,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** What an update may change; unset fields stay. */
export interface OrganizationChanges {
  name?: string | undefined;
  slug?: string | undefined;
  plan?: Plan | undefined;
  settings?: OrganizationSettings | undefined;
}

/** The organization's profile: one row per tenant, keyed by the tenant (= org) id. */
export const organizationsRepository = {
  /** Inserts the profile unless it exists; answers the row as it is now either way. */
  async insertIfAbsent(tx: TenantTx, profile: { name: string; slug: string; plan: Plan }): Promise<OrganizationRecord> {
    await tx.query(
      `INSERT INTO organizations (tenant_id, name, slug, plan) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING`,
      [tx.tenantId, profile.name, profile.slug, profile.plan],
    );
    const found = await organizationsRepository.find(tx);
    if (found === undefined) throw new Error('organization row missing right after its upsert');
    return found;
  },

  /** The tenant's profile; `forUpdate` locks it until the transaction ends (serialises quota checks). */
  async find(tx: TenantTx, options: { forUpdate?: boolean } = {}): Promise<OrganizationRecord | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM organizations WHERE tenant_id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [tx.tenantId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  async update(tx: TenantTx, changes: OrganizationChanges): Promise<OrganizationRecord | undefined> {
    const { rows } = await tx.query<Row>(
      `UPDATE organizations SET
         name = coalesce($2, name),
         slug = coalesce($3, slug),
         plan = coalesce($4, plan),
         settings = coalesce($5::jsonb, settings),
         updated_at = now()
       WHERE tenant_id = $1 RETURNING ${COLUMNS}`,
      [tx.tenantId, changes.name ?? null, changes.slug ?? null, changes.plan ?? null, changes.settings === undefined ? null : JSON.stringify(changes.settings)],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },

  /** Deletes the tenant's rows of every org-service table. */
  async deleteTenant(tx: TenantTx): Promise<OrganizationRecord | undefined> {
    await tx.query('DELETE FROM invitations WHERE tenant_id = $1', [tx.tenantId]);
    const { rows } = await tx.query<Row>(`DELETE FROM organizations WHERE tenant_id = $1 RETURNING ${COLUMNS}`, [tx.tenantId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  },
};
