import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ShardMap } from '@bulkhead/config';
import { loadDevstackEnv, startComponent, stopComponent, withPgClient } from '@bulkhead/testkit';
import { Client } from 'pg';
import { assertMigrated, migrateShards, runMigrations, MIGRATIONS_TABLE } from './migration-runner';
import { createShardPools, type ShardPools } from './shard-pools';
import { sendBatch } from './statement-batch';
import { createShardRouter, type ShardRouter } from './shard-router';
import { createInMemoryPlacementSource } from './testing/in-memory-placement-source';
import { createTenantDatabase, type TenantDatabase, type TenantTx } from './with-tenant';

const env = loadDevstackEnv();
const serviceShards: ShardMap = env.shards.map((s) => ({ id: s.id, url: s.url }));
const ownerShards: ShardMap = env.shards.map((s) => ({ id: s.id, url: s.ownerUrl }));
const suffix = randomBytes(4).toString('hex');
const scope = `dbtest_${suffix}`;
const table = `items_${suffix}`;

const itemsMigration = `
CREATE TABLE ${table} (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ${table}
  USING (tenant_id = current_setting('app.tenant_id')::uuid)
  WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO bulkhead_app;
`;

/** Counts a tenant's rows on one shard directly, as the service role with the tenant set. */
async function countOnShard(client: Client, tenantId: string): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0]?.n);
  } finally {
    await client.query('ROLLBACK');
  }
}

function serverOf(shardId: string): string {
  const shard = env.shards.find((s) => s.id === shardId);
  if (shard === undefined) throw new Error(`no shard ${shardId}`);
  return shard.server;
}

describe('@bulkhead/database against the devstack', () => {
  let dir: string;
  let pools: ShardPools;
  let router: ShardRouter;
  let db: TenantDatabase;

  const insertItem = (tenantId: string, name: string) =>
    db.withTenant({ tenantId }, async (tx) => {
      await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, $3)`, [tenantId, randomUUID(), name]);
      return tx.shardId;
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-migrations-'));
    await writeFile(path.join(dir, '0001_items.sql'), itemsMigration);
    pools = createShardPools({ shards: serviceShards, maxPerServer: 8, connectionTimeoutMs: 1500 });
    router = createShardRouter({ shards: serviceShards, placements: createInMemoryPlacementSource() });
    db = createTenantDatabase({ router, pools });
  });

  afterAll(async () => {
    await pools.close();
    for (const shard of ownerShards) {
      await withPgClient(shard.url, async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
        await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE scope = $1`, [scope]);
      });
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('applies migrations to all four shards once, even with two runners, and a later run is a no-op', async () => {
    // Two runners at once: the advisory lock lets exactly one apply each shard's migration.
    const [first, rival] = await Promise.all([
      migrateShards({ shards: ownerShards, migrationsDir: dir, scope }),
      migrateShards({ shards: ownerShards, migrationsDir: dir, scope }),
    ]);
    expect(Object.keys(first).sort()).toEqual(serviceShards.map((s) => s.id).sort());
    for (const shard of serviceShards) {
      expect([...(first[shard.id]?.applied ?? []), ...(rival[shard.id]?.applied ?? [])]).toEqual(['0001_items.sql']);
    }

    const second = await migrateShards({ shards: ownerShards, migrationsDir: dir, scope });
    for (const report of Object.values(second)) expect(report.applied).toEqual([]);

    await expect(assertMigrated({ shards: serviceShards, migrationsDir: dir, scope })).resolves.toBeUndefined();
  });

  it('names the shard that is behind, and the file whose checksum changed', async () => {
    const ahead = await mkdtemp(path.join(tmpdir(), 'bulkhead-migrations-'));
    try {
      await cp(dir, ahead, { recursive: true });
      await writeFile(path.join(ahead, '0002_items_name.sql'), `CREATE INDEX ${table}_name ON ${table} (tenant_id, name);`);
      for (const shard of ownerShards.filter((s) => s.id !== 'shard-2')) {
        await runMigrations({ databaseUrl: shard.url, migrationsDir: ahead, scope });
      }
      await expect(assertMigrated({ shards: serviceShards, migrationsDir: ahead, scope })).rejects.toMatchObject({
        kind: 'FAILED_PRECONDITION',
        code: 'SHARD_NOT_MIGRATED',
        message: expect.stringContaining('shard-2') as unknown,
      });

      await writeFile(path.join(ahead, '0001_items.sql'), `${itemsMigration}\n-- edited`);
      await expect(runMigrations({ databaseUrl: ownerShards[0]?.url ?? '', migrationsDir: ahead, scope })).rejects.toThrow(
        /0001_items\.sql.*checksum/,
      );
    } finally {
      await rm(ahead, { recursive: true, force: true });
    }
  });

  it('lets row-level security fail a query without a tenant and hide other tenants', async () => {
    const tenantA = randomUUID();
    const shardId = await insertItem(tenantA, 'a-secret');
    const tenantB = randomUUID();
    const shardUrl = serviceShards.find((s) => s.id === shardId)?.url ?? '';

    await withPgClient(shardUrl, async (client) => {
      await expect(client.query(`SELECT * FROM ${table}`)).rejects.toThrow(/app\.tenant_id/);
    });
    await withPgClient(shardUrl, async (client) => {
      expect(await countOnShard(client, tenantB)).toBe(0);
      expect(await countOnShard(client, tenantA)).toBe(1);
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantB]);
      await expect(
        client.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'forged')`, [tenantA, randomUUID()]),
      ).rejects.toThrow(/row-level security/);
      await client.query('ROLLBACK');
    });
  });

  it('writes each tenant to the shard shardFor picks, 40 tenants over all four shards', async () => {
    const tenants = Array.from({ length: 40 }, () => randomUUID());
    const expected = new Map<string, string>();
    for (const tenantId of tenants) {
      const shardId = await insertItem(tenantId, 'spread');
      expect(shardId).toBe((await router.shardFor(tenantId)).id);
      expected.set(tenantId, shardId);
    }
    expect(new Set(expected.values()).size).toBe(4);

    for (const shard of serviceShards) {
      await withPgClient(shard.url, async (client) => {
        for (const tenantId of tenants) {
          expect(await countOnShard(client, tenantId)).toBe(expected.get(tenantId) === shard.id ? 1 : 0);
        }
      });
    }
  });

  it('rolls back everything written when the work throws', async () => {
    const tenantId = randomUUID();
    const boom = new Error('boom');
    await expect(
      db.withTenant({ tenantId }, async (tx) => {
        await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'doomed')`, [tenantId, randomUUID()]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const rows = await db.withTenant({ tenantId }, (tx) => tx.query(`SELECT id FROM ${table}`));
    expect(rows.rowCount).toBe(0);
  });

  it('rolls back every statement when one inside the work fails, and the connection serves the next call', async () => {
    const single = createShardPools({ shards: serviceShards, maxPerServer: 1, connectionTimeoutMs: 1500 });
    const singleDb = createTenantDatabase({ router, pools: single });
    const pidOf = (tx: TenantTx) => tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0]?.pid);
    try {
      const tenantId = randomUUID();
      const duplicate = randomUUID();
      let failedOn: number | undefined;
      await expect(
        singleDb.withTenant({ tenantId }, async (tx) => {
          failedOn = await pidOf(tx);
          await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'first')`, [tenantId, randomUUID()]);
          await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'second')`, [tenantId, duplicate]);
          await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'clash')`, [tenantId, duplicate]);
        }),
      ).rejects.toMatchObject({ code: '23505' });
      const after = await singleDb.withTenant({ tenantId }, async (tx) => ({
        pid: await pidOf(tx),
        count: (await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n,
      }));
      expect(failedOn).toEqual(expect.any(Number));
      expect(after).toEqual({ pid: failedOn, count: '0' });
    } finally {
      await single.close();
    }
  });

  it('rejects the work when a failed statement was swallowed, instead of reporting the rolled-back COMMIT as success', async () => {
    const tenantId = randomUUID();
    await expect(
      db.withTenant({ tenantId }, async (tx) => {
        await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'lost')`, [tenantId, randomUUID()]);
        await tx.query('SELECT 1 / 0').catch(() => undefined);
      }),
    ).rejects.toThrow(/rolled back at COMMIT/);
    const { rowCount } = await db.withTenant({ tenantId }, (tx) => tx.query(`SELECT id FROM ${table}`));
    expect(rowCount).toBe(0);
  });

  it('lets the first statements of the work, batched behind BEGIN and set_config, see the tenant', async () => {
    const tenantId = randomUUID();
    const seen = await db.withTenant({ tenantId }, async (tx) => {
      const [first, second] = await Promise.all([
        tx.query<{ tenant: string }>("SELECT current_setting('app.tenant_id') AS tenant"),
        tx.query<{ tenant: string }>("SELECT current_setting('app.tenant_id') AS tenant"),
      ]);
      return [first.rows[0]?.tenant, second.rows[0]?.tenant];
    });
    expect(seen).toEqual([tenantId, tenantId]);
    await expect(db.withTenant({ tenantId }, async () => 'no statements')).resolves.toBe('no statements');
  });

  it('runs a single statement as its own tenant-scoped unit of work', async () => {
    const single = createShardPools({ shards: serviceShards, maxPerServer: 1, connectionTimeoutMs: 1500 });
    const singleDb = createTenantDatabase({ router, pools: single });
    try {
      const [tenantA, tenantB] = [randomUUID(), randomUUID()];
      const seen = await singleDb.queryWithTenant<{ tenant: string }>({ tenantId: tenantA }, "SELECT current_setting('app.tenant_id') AS tenant");
      expect(seen.rows).toEqual([{ tenant: tenantA }]);

      const insert = `INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, $3)`;
      expect((await singleDb.queryWithTenant({ tenantId: tenantA }, insert, [tenantA, randomUUID(), 'fast'])).rowCount).toBe(1);
      expect((await singleDb.queryWithTenant({ tenantId: tenantB }, `SELECT id FROM ${table}`)).rowCount).toBe(0);
      await expect(singleDb.queryWithTenant({ tenantId: tenantB }, insert, [tenantA, randomUUID(), 'forged'])).rejects.toThrow(
        /row-level security/,
      );
      // A failed statement rolls back its whole batch, and the connection serves the next call.
      const twice = `INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'x'), ($1, $2, 'y')`;
      await expect(singleDb.queryWithTenant({ tenantId: tenantA }, twice, [tenantA, randomUUID()])).rejects.toMatchObject({ code: '23505' });
      const names = await singleDb.queryWithTenant<{ name: string }>({ tenantId: tenantA }, `SELECT name FROM ${table}`);
      expect(names.rows).toEqual([{ name: 'fast' }]);
    } finally {
      await single.close();
    }
  });

  it('prepares a single statement once per connection, parses it again when the schema changed its result, and keeps a bounded number', async () => {
    const single = createShardPools({ shards: serviceShards, maxPerServer: 1, connectionTimeoutMs: 1500 });
    const singleDb = createTenantDatabase({ router, pools: single });
    const tenantId = randomUUID();
    const shardId = (await router.shardFor(tenantId)).id;
    const owner = ownerShards.find((s) => s.id === shardId)?.url ?? '';
    const preparedNames = async (): Promise<string[]> =>
      (await singleDb.queryWithTenant<{ name: string }>({ tenantId }, "SELECT name FROM pg_prepared_statements WHERE name LIKE 'bulkhead%'")).rows.map(
        (r) => r.name,
      );
    try {
      const all = `SELECT * FROM ${table} WHERE tenant_id = $1`;
      await singleDb.queryWithTenant({ tenantId }, `INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, 'prepared')`, [tenantId, randomUUID()]);
      expect((await singleDb.queryWithTenant({ tenantId }, all, [tenantId])).rows).toEqual([expect.objectContaining({ name: 'prepared' })]);
      const before = await preparedNames();
      expect((await singleDb.queryWithTenant({ tenantId }, all, [tenantId])).rowCount).toBe(1);
      expect(await preparedNames()).toEqual(before);

      // The prepared SELECT * now returns another row type: the server refuses it, the statement is parsed again.
      await withPgClient(owner, (client) => client.query(`ALTER TABLE ${table} ADD COLUMN note text`));
      expect((await singleDb.queryWithTenant<Record<string, unknown>>({ tenantId }, all, [tenantId])).rows).toEqual([
        expect.objectContaining({ name: 'prepared', note: null }),
      ]);

      for (let i = 0; i < 210; i += 1) await singleDb.queryWithTenant({ tenantId }, `SELECT ${i} AS n`);
      // The 200 kept, and the statement listing them (prepared by that very call).
      expect((await preparedNames()).length).toBeLessThanOrEqual(201);
    } finally {
      await single.close();
      await withPgClient(owner, (client) => client.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS note`));
    }
  });

  it('sends statements queued with atCommit with the COMMIT: they land with the unit, and one that fails rolls the whole unit back', async () => {
    const tenantId = randomUUID();
    const insert = `INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, $3)`;
    const names = async () =>
      (await db.queryWithTenant<{ name: string }>({ tenantId }, `SELECT name FROM ${table} WHERE tenant_id = $1 ORDER BY name`, [tenantId])).rows.map((r) => r.name);

    await db.withTenant({ tenantId }, async (tx) => {
      await tx.query(insert, [tenantId, randomUUID(), 'change']);
      tx.atCommit(insert, [tenantId, randomUUID(), 'queued']);
      // Not sent yet: the unit's own reads do not see it.
      expect((await tx.query(`SELECT name FROM ${table} WHERE tenant_id = $1`, [tenantId])).rows).toEqual([{ name: 'change' }]);
    });
    expect(await names()).toEqual(['change', 'queued']);

    // A unit that makes no query of its own still runs in the tenant's transaction.
    await db.withTenant({ tenantId }, async (tx) => tx.atCommit(insert, [tenantId, randomUUID(), 'alone']));
    await expect(db.withTenant({ tenantId }, async (tx) => tx.atCommit(insert, [randomUUID(), randomUUID(), 'forged']))).rejects.toThrow(/row-level security/);

    const duplicate = randomUUID();
    await expect(
      db.withTenant({ tenantId }, async (tx) => {
        await tx.query(insert, [tenantId, randomUUID(), 'undone']);
        tx.atCommit(insert, [tenantId, duplicate, 'twice']);
        tx.atCommit(insert, [tenantId, duplicate, 'twice']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await names()).toEqual(['alone', 'change', 'queued']);
  });

  it('runs a unit of work again, once and from the start, when a schema change made one of its prepared statements stale', async () => {
    const single = createShardPools({ shards: serviceShards, maxPerServer: 1, connectionTimeoutMs: 1500 });
    const singleDb = createTenantDatabase({ router, pools: single });
    const tenantId = randomUUID();
    const shardId = (await router.shardFor(tenantId)).id;
    const owner = ownerShards.find((s) => s.id === shardId)?.url ?? '';
    const all = `SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY name`;
    const insertThenList = (name: string) =>
      singleDb.withTenant({ tenantId }, async (tx) => {
        attempts += 1;
        await tx.query(`INSERT INTO ${table} (tenant_id, id, name) VALUES ($1, $2, $3)`, [tenantId, randomUUID(), name]);
        return (await tx.query<Record<string, unknown>>(all, [tenantId])).rows;
      });
    let attempts = 0;
    try {
      expect(await insertThenList('first')).toEqual([expect.objectContaining({ name: 'first' })]);
      await withPgClient(owner, (client) => client.query(`ALTER TABLE ${table} ADD COLUMN note text`));
      attempts = 0;
      // The prepared SELECT * now returns another row type: the first attempt is refused and rolled back.
      expect(await insertThenList('second')).toEqual([
        expect.objectContaining({ name: 'first', note: null }),
        expect.objectContaining({ name: 'second', note: null }),
      ]);
      expect(attempts).toBe(2);
    } finally {
      await single.close();
      await withPgClient(owner, (client) => client.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS note`));
    }
  });

  it('ends the batch transaction at its Sync, so the tenant setting does not outlive the statement', async () => {
    const tenantId = randomUUID();
    const client = new Client({ connectionString: serviceShards[0]?.url ?? '', pipeline: true });
    await client.connect();
    try {
      const [, inside] = await sendBatch(client, [
        { text: "SELECT set_config('app.tenant_id', $1, true)", values: [tenantId] },
        { text: "SELECT current_setting('app.tenant_id') AS tenant", values: [] },
      ]);
      expect(inside?.rows).toEqual([{ tenant: tenantId }]);
      const after = await client.query<{ tenant: string | null }>("SELECT current_setting('app.tenant_id', true) AS tenant");
      expect(after.rows[0]?.tenant ?? '').toBe('');
      expect(client.getTransactionStatus()).toBe('I');
    } finally {
      await client.end();
    }
  });

  it('refuses a tx used after its withTenant call ended', async () => {
    const tenantId = randomUUID();
    const leaked = await db.withTenant({ tenantId }, async (tx) => tx);
    await expect(leaked.query(`SELECT id FROM ${table}`)).rejects.toThrow(/after its withTenant call ended/);
  });

  it('fails only the tenants of a stopped server, and recovers with the same pools', async () => {
    const candidates = Array.from({ length: 64 }, () => randomUUID());
    const shardOf = new Map<string, string>();
    for (const tenantId of candidates) shardOf.set(tenantId, (await router.shardFor(tenantId)).id);
    const onB = candidates.find((t) => serverOf(shardOf.get(t) ?? '') === 'pg-b');
    const onA = candidates.find((t) => serverOf(shardOf.get(t) ?? '') === 'pg-a');
    if (onB === undefined || onA === undefined) throw new Error('no tenant found on each server');
    const shardB = shardOf.get(onB) ?? '';
    await insertItem(onB, 'before');
    await insertItem(onA, 'before');

    stopComponent(env, 'pg-b');
    try {
      const started = Date.now();
      const failure = await insertItem(onB, 'during').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(Date.now() - started).toBeLessThan(3000);
      expect(failure).toMatchObject({ kind: 'UNAVAILABLE', code: 'SHARD_UNAVAILABLE', message: `Shard ${shardB} is unavailable` });

      const started2 = Date.now();
      await expect(insertItem(onB, 'during')).rejects.toMatchObject({ code: 'SHARD_UNAVAILABLE' });
      expect(Date.now() - started2).toBeLessThan(3000);

      await expect(insertItem(onA, 'during')).resolves.toBe(shardOf.get(onA));
    } finally {
      startComponent(env, 'pg-b');
    }

    await expect(insertItem(onB, 'after')).resolves.toBe(shardB);
    const names = await db.withTenant({ tenantId: onB }, (tx) => tx.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`));
    expect(names.rows.map((r) => r.name)).toEqual(['after', 'before']);
  });
});
