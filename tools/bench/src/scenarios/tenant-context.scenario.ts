import { createInMemoryPlacementSource, createShardPools, createShardRouter, createTenantDatabase, type TenantDatabase } from '@bulkhead/database';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { Pool } from 'pg';
import { closedLoop, type Scenario } from '../harness';
import { dropTenantTables, pickRow, PLAIN_TABLE, seedTenantTables, TENANT_TABLE } from './tenant-table';

const TENANTS = 32;
const ROWS_PER_TENANT = 1000;
const select = (table: string) => `SELECT id, payload FROM ${table} WHERE tenant_id = $1 AND id = $2`;

/** How the subject reads: the one-statement fast path, or a `withTenant` unit of work. */
type TenantRead = (db: TenantDatabase, tenantId: string, id: number) => Promise<{ rowCount: number }>;

/**
 * The cost of the tenant context: the same point SELECT on shard-0 through the tenant data
 * access (set_config + row-level security, in a transaction) vs plain node-postgres on a twin
 * table without RLS, as the service role, with the same client count and pool size.
 */
function tenantContextScenario(name: string, subjectName: string, read: TenantRead, minRatio?: number): Scenario {
  return {
    name,
    description: `point SELECT on shard-0, ${TENANTS} tenants × ${ROWS_PER_TENANT} rows: ${subjectName} on an RLS table vs raw node-postgres`,
    async prepare({ durationMs, concurrency }) {
      const shard = loadDevstackEnv().shards[0];
      if (shard === undefined) throw new Error('the devstack lists no shards');
      const seeded = await seedTenantTables([shard.ownerUrl], TENANTS, ROWS_PER_TENANT);
      const raw = new Pool({ connectionString: shard.url, max: concurrency });
      const shards = [{ id: shard.id, url: shard.url }];
      const pools = createShardPools({ shards, maxPerServer: concurrency });
      const db = createTenantDatabase({ router: createShardRouter({ shards, placements: createInMemoryPlacementSource() }), pools });
      const found = (rowCount: number | null): void => {
        if (rowCount !== 1) throw new Error(`expected one row, got ${String(rowCount)}`);
      };
      return {
        baseline: {
          name: `raw node-postgres pool of ${concurrency}, no RLS`,
          run: () =>
            closedLoop(durationMs, concurrency, async () => {
              const { tenantId, id } = pickRow(seeded);
              found((await raw.query(select(PLAIN_TABLE), [tenantId, id])).rowCount);
            }),
        },
        subject: {
          name: `${subjectName}, shard pool of ${concurrency}, RLS`,
          run: () =>
            closedLoop(durationMs, concurrency, async () => {
              const { tenantId, id } = pickRow(seeded);
              found((await read(db, tenantId, id)).rowCount);
            }),
        },
        ...(minRatio === undefined
          ? {}
          : { target: { minRatio, meaning: 'a read with the tenant context (transaction + set_config + RLS) ≥ 70% of the same read without it' } }),
        async close() {
          await Promise.all([raw.end(), pools.close()]);
          await dropTenantTables([shard.ownerUrl]);
        },
      };
    },
  };
}

/** The figure: a read as one tenant-scoped statement (`queryWithTenant`, one round trip). */
export const tenantContextReadScenario = tenantContextScenario(
  'tenant-context',
  'queryWithTenant',
  (db, tenantId, id) => db.queryWithTenant({ tenantId }, select(TENANT_TABLE), [tenantId, id]),
  0.7,
);

/** The same read as a `withTenant` unit of work (two round trips: the opening batch, then COMMIT). */
export const tenantContextTransactionScenario = tenantContextScenario('tenant-context-tx', 'withTenant', (db, tenantId, id) =>
  db.withTenant({ tenantId }, (tx) => tx.query(select(TENANT_TABLE), [tenantId, id])),
);
