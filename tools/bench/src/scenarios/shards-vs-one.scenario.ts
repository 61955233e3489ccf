import { createInMemoryPlacementSource, createShardPools, createShardRouter, createTenantDatabase, type TenantDatabase } from '@bulkhead/database';
import type { ShardMap } from '@bulkhead/config';
import { loadDevstackEnv } from '@bulkhead/testkit';
import { closedLoop, type Scenario } from '../harness';
import { dropTenantTables, pickRow, seedTenantTables, TENANT_TABLE } from './tenant-table';

const TENANTS = 64;
const ROWS_PER_TENANT = 200;

/**
 * Sharding on one box: the same tenant workload (9 point reads to 1 small write, each through
 * `queryWithTenant` on the RLS table) routed over the four devstack shards vs a shard map of
 * shard-0 alone, from the same number of clients. Both sides may open as many connections to each
 * PostgreSQL server as there are clients, as a service's SHARD_SERVER_POOL_SIZE allows: the one
 * database's pool holds them all, the four shards share their server's (ADR 0008).
 */
export const shardsVsOneScenario: Scenario = {
  name: 'shards-vs-one',
  description: `${TENANTS} tenants, 90% point reads / 10% updates through queryWithTenant: 4-shard map vs one shard, same clients`,
  async prepare({ durationMs, concurrency }) {
    const devstack = loadDevstackEnv();
    const owners = devstack.shards.map((s) => s.ownerUrl);
    const seeded = await seedTenantTables(owners, TENANTS, ROWS_PER_TENANT);
    const open = (shards: ShardMap) => {
      const pools = createShardPools({ shards, maxPerServer: concurrency });
      return { pools, db: createTenantDatabase({ router: createShardRouter({ shards, placements: createInMemoryPlacementSource() }), pools }) };
    };
    const all = open(devstack.shards.map((s) => ({ id: s.id, url: s.url })));
    const one = open(devstack.shards.slice(0, 1).map((s) => ({ id: s.id, url: s.url })));
    let n = 0;
    const operation = async (db: TenantDatabase): Promise<void> => {
      const { tenantId, id } = pickRow(seeded);
      n += 1;
      const statement =
        n % 10 === 0
          ? `UPDATE ${TENANT_TABLE} SET payload = md5(random()::text) WHERE tenant_id = $1 AND id = $2`
          : `SELECT id, payload FROM ${TENANT_TABLE} WHERE tenant_id = $1 AND id = $2`;
      const { rowCount } = await db.queryWithTenant({ tenantId }, statement, [tenantId, id]);
      if (rowCount !== 1) throw new Error(`expected one row, got ${rowCount}`);
    };
    return {
      baseline: { name: 'one shard (shard-0)', run: () => closedLoop(durationMs, concurrency, () => operation(one.db)) },
      subject: { name: 'four shards', run: () => closedLoop(durationMs, concurrency, () => operation(all.db)) },
      target: { minRatio: 0.9, meaning: 'four shards on one box ≥ 90% of one database' },
      async close() {
        await Promise.all([all.pools.close(), one.pools.close()]);
        await dropTenantTables(owners);
      },
    };
  },
};
