import { randomBytes, randomUUID } from 'node:crypto';
import { MIGRATIONS_TABLE } from '@bulkhead/database';
import { loadDevstackEnv, migrateDevstack, withPgClient } from '@bulkhead/testkit';
import type { Client } from 'pg';

const devstack = loadDevstackEnv();
const shards = devstack.shards;
const serviceRole = (url: string): string => decodeURIComponent(new URL(url).username);

/** Every table of schema public on a shard except the migrations table: today's and tomorrow's. */
async function tenantTables(owner: Client): Promise<string[]> {
  const { rows } = await owner.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1 ORDER BY 1`,
    [MIGRATIONS_TABLE],
  );
  return rows.map((r) => r.name);
}

/**
 * Indexes allowed not to lead with tenant_id: the audit outbox is a queue the relay drains across
 * tenants in commit order (ADR 0005), and without this index every claim sorted the whole outbox.
 */
const QUEUE_INDEXES = new Set(['audit_outbox_claim_order_idx']);

/** What breaks the shard schema rules in one table, as readable lines (none when it complies). */
async function violationsOf(owner: Client, table: string): Promise<string[]> {
  const problems: string[] = [];
  const { rows: flags } = await owner.query<{ enabled: boolean; forced: boolean }>(
    `SELECT relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class WHERE oid = $1::regclass`,
    [`public.${table}`],
  );
  if (flags[0]?.enabled !== true) problems.push(`${table}: row-level security not enabled`);
  if (flags[0]?.forced !== true) problems.push(`${table}: row-level security not forced`);

  const { rows: policies } = await owner.query<{ name: string; qual: string | null; check: string | null }>(
    `SELECT policyname AS name, qual, with_check AS check FROM pg_policies WHERE schemaname = 'public' AND tablename = $1`,
    [table],
  );
  if (policies.length === 0) problems.push(`${table}: no policy`);
  for (const policy of policies) {
    // A permissive policy that does not read the tenant setting would open the table to everyone.
    // An INSERT-only policy has no USING clause: its WITH CHECK is what it decides by.
    if (!`${policy.qual ?? policy.check ?? ''}`.includes("current_setting('app.tenant_id'")) problems.push(`${table}: policy ${policy.name} ignores app.tenant_id`);
  }

  const { rows: column } = await owner.query<{ type: string; notNull: boolean }>(
    `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS "notNull" FROM pg_attribute
      WHERE attrelid = $1::regclass AND attname = 'tenant_id' AND NOT attisdropped`,
    [`public.${table}`],
  );
  if (column[0]?.type !== 'uuid' || column[0].notNull !== true) problems.push(`${table}: tenant_id is not uuid NOT NULL`);

  const { rows: indexes } = await owner.query<{ name: string; primary: boolean; first: string | null }>(
    `SELECT i.indexrelid::regclass::text AS name, i.indisprimary AS primary, a.attname AS first
       FROM pg_index i LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = $1::regclass`,
    [`public.${table}`],
  );
  if (!indexes.some((index) => index.primary)) problems.push(`${table}: no primary key`);
  for (const index of indexes) {
    if (QUEUE_INDEXES.has(index.name)) continue;
    if (index.first !== 'tenant_id') problems.push(`${table}: ${index.primary ? 'primary key' : `index ${index.name}`} does not lead with tenant_id`);
  }
  return problems;
}

describe('row-level security on every shard table', () => {
  beforeAll(() => {
    migrateDevstack(devstack);
  });

  it('knows the four devstack shards', () => {
    expect(shards.map((s) => s.id)).toEqual(['shard-0', 'shard-1', 'shard-2', 'shard-3']);
  });

  it.each(shards.map((s) => [s.id, s] as const))('%s: every tenant table follows the shard schema rules', async (_id, shard) => {
    const violations = await withPgClient(shard.ownerUrl, async (owner) => {
      const found: string[] = [];
      for (const table of await tenantTables(owner)) found.push(...(await violationsOf(owner, table)));
      return found;
    });
    expect(violations).toEqual([]);
  });

  it.each(shards.map((s) => [s.id, s] as const))('%s: the service role owns nothing and cannot bypass RLS', async (_id, shard) => {
    const role = serviceRole(shard.url);
    const result = await withPgClient(shard.ownerUrl, async (owner) => {
      const { rows: roles } = await owner.query<{ bypass: boolean; superuser: boolean }>(
        'SELECT rolbypassrls AS bypass, rolsuper AS superuser FROM pg_roles WHERE rolname = $1',
        [role],
      );
      const { rows: owned } = await owner.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1`,
        [role],
      );
      return { roles, owned: owned.map((r) => r.name) };
    });
    expect(result.roles).toEqual([{ bypass: false, superuser: false }]);
    expect(result.owned).toEqual([]);
  });

  describe.each(shards.map((s) => [s.id, s] as const))('%s: a probe table under the shard RLS template', (_id, shard) => {
    const probe = `rls_probe_${randomBytes(4).toString('hex')}`;
    const [tenantA, tenantB] = [randomUUID(), randomUUID()];
    const rowOfA = randomUUID();

    /** Runs `fn` as the service role in a transaction with `app.tenant_id` set, rolled back afterwards. */
    const asServiceTenant = <T>(tenantId: string, fn: (client: Client) => Promise<T>): Promise<T> =>
      withPgClient(shard.url, async (client) => {
        await client.query('BEGIN');
        try {
          await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
          return await fn(client);
        } finally {
          await client.query('ROLLBACK');
        }
      });

    beforeAll(async () => {
      await withPgClient(shard.ownerUrl, async (owner) => {
        await owner.query(`
          CREATE TABLE ${probe} (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, PRIMARY KEY (tenant_id, id));
          ALTER TABLE ${probe} ENABLE ROW LEVEL SECURITY;
          ALTER TABLE ${probe} FORCE ROW LEVEL SECURITY;
          CREATE POLICY tenant_isolation ON ${probe}
            USING (tenant_id = current_setting('app.tenant_id')::uuid)
            WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
          GRANT SELECT, INSERT, UPDATE, DELETE ON ${probe} TO ${serviceRole(shard.url)};`);
        // RLS is forced, so even the owner writes A's row only with A's setting.
        await owner.query('BEGIN');
        await owner.query("SELECT set_config('app.tenant_id', $1, true)", [tenantA]);
        await owner.query(`INSERT INTO ${probe} (tenant_id, id, name) VALUES ($1, $2, 'secret of A')`, [tenantA, rowOfA]);
        await owner.query('COMMIT');
      });
    });

    afterAll(async () => {
      await withPgClient(shard.ownerUrl, (owner) => owner.query(`DROP TABLE IF EXISTS ${probe}`));
    });

    it('fails a query without app.tenant_id instead of answering it', async () => {
      await withPgClient(shard.url, async (client) => {
        await expect(client.query(`SELECT * FROM ${probe}`)).rejects.toThrow(/app\.tenant_id/);
      });
    });

    it("hides A's rows from B, and shows them to A", async () => {
      await expect(asServiceTenant(tenantB, (c) => c.query(`SELECT * FROM ${probe}`).then((r) => r.rows))).resolves.toEqual([]);
      await expect(asServiceTenant(tenantA, (c) => c.query(`SELECT id, name FROM ${probe}`).then((r) => r.rows))).resolves.toEqual([
        { id: rowOfA, name: 'secret of A' },
      ]);
    });

    it("refuses B writing a row with A's tenant_id, and B's UPDATE and DELETE reach none of A's rows", async () => {
      await expect(
        asServiceTenant(tenantB, (c) => c.query(`INSERT INTO ${probe} (tenant_id, id, name) VALUES ($1, $2, 'forged')`, [tenantA, randomUUID()])),
      ).rejects.toThrow(/row-level security/);
      await expect(asServiceTenant(tenantB, (c) => c.query(`UPDATE ${probe} SET name = 'taken'`).then((r) => r.rowCount))).resolves.toBe(0);
      await expect(asServiceTenant(tenantB, (c) => c.query(`DELETE FROM ${probe}`).then((r) => r.rowCount))).resolves.toBe(0);
      await expect(asServiceTenant(tenantA, (c) => c.query(`SELECT name FROM ${probe}`).then((r) => r.rows))).resolves.toEqual([{ name: 'secret of A' }]);
    });

    it('lets the service role neither switch RLS off nor take the table', async () => {
      await withPgClient(shard.url, async (client) => {
        await expect(client.query(`ALTER TABLE ${probe} DISABLE ROW LEVEL SECURITY`)).rejects.toThrow(/must be owner/);
        await expect(client.query(`ALTER TABLE ${probe} NO FORCE ROW LEVEL SECURITY`)).rejects.toThrow(/must be owner/);
      });
    });
  });
});
