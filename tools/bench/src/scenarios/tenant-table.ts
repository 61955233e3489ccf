import { randomUUID } from 'node:crypto';
import { withPgClient } from '@bulkhead/testkit';

/** The RLS table the tenancy scenarios read and write, shaped like every shard table. */
export const TENANT_TABLE = 'bench_tenant_items';
/** The same table without row-level security: the raw-read baseline. */
export const PLAIN_TABLE = 'bench_plain_items';

/** Tenants seeded into {@link TENANT_TABLE}, each with `rowsPerTenant` rows numbered from 1. */
export interface SeededTenants {
  tenantIds: string[];
  rowsPerTenant: number;
}

const TENANT_TABLE_DDL = `
DROP TABLE IF EXISTS ${TENANT_TABLE}, ${PLAIN_TABLE};
CREATE TABLE ${TENANT_TABLE} (
  tenant_id uuid NOT NULL,
  id int NOT NULL,
  payload text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE ${TENANT_TABLE} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${TENANT_TABLE} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ${TENANT_TABLE}
  USING (tenant_id = current_setting('app.tenant_id')::uuid)
  WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${TENANT_TABLE} TO bulkhead_app;
CREATE TABLE ${PLAIN_TABLE} (LIKE ${TENANT_TABLE} INCLUDING ALL);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${PLAIN_TABLE} TO bulkhead_app;
`;

/**
 * Creates the bench tables afresh on each shard (as the owner role; the RLS table follows the
 * shard schema rules) and seeds `tenants` fresh tenants with `rowsPerTenant` rows on every one of
 * them, so any shard map finds each tenant's rows wherever it routes it.
 */
export async function seedTenantTables(ownerUrls: readonly string[], tenants: number, rowsPerTenant: number): Promise<SeededTenants> {
  const tenantIds = Array.from({ length: tenants }, () => randomUUID());
  for (const url of ownerUrls) {
    await withPgClient(url, async (client) => {
      await client.query(TENANT_TABLE_DDL);
      for (const tenantId of tenantIds) {
        // RLS is forced, so the owner too writes inside a transaction that names the tenant.
        await client.query('BEGIN');
        await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
        for (const table of [TENANT_TABLE, PLAIN_TABLE]) {
          await client.query(`INSERT INTO ${table} SELECT $1, g, md5(g::text) FROM generate_series(1, $2::int) g`, [tenantId, rowsPerTenant]);
        }
        await client.query('COMMIT');
      }
    });
  }
  return { tenantIds, rowsPerTenant };
}

/**
 * Drops the bench tables: the plain twin breaks the shard schema rules on purpose, and the RLS
 * e2e spec checks every shard table.
 */
export async function dropTenantTables(ownerUrls: readonly string[]): Promise<void> {
  for (const url of ownerUrls) {
    await withPgClient(url, (client) => client.query(`DROP TABLE IF EXISTS ${TENANT_TABLE}, ${PLAIN_TABLE}`));
  }
}

/** A random tenant and row of a seeded set. */
export function pickRow(seeded: SeededTenants): { tenantId: string; id: number } {
  const tenantId = seeded.tenantIds[Math.floor(Math.random() * seeded.tenantIds.length)] ?? '';
  return { tenantId, id: 1 + Math.floor(Math.random() * seeded.rowsPerTenant) };
}
