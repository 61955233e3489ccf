import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shardMapField, loadConfig } from '@bulkhead/config';
import { loadDevstackEnv, toServiceEnvironment, withPgClient } from '@bulkhead/testkit';
import { migrateAll, type MigrationSetReport } from './migration-plan';
import { MIGRATIONS_TABLE } from './migration-runner';

const environment = toServiceEnvironment(loadDevstackEnv());
const { SHARD_OWNER_MAP: shards } = loadConfig({ SHARD_OWNER_MAP: shardMapField() }, environment);
const identityDatabaseUrl = environment['IDENTITY_DATABASE_OWNER_URL'] ?? '';
const auditDatabaseUrl = environment['AUDIT_DATABASE_OWNER_URL'] ?? '';
const scope = `test_${randomBytes(4).toString('hex')}`;

/** Every database the test writes to, with the table its migration creates there. */
const databases = [
  ...shards.map((shard) => ({ url: shard.url, table: `${scope}_shard_items` })),
  { url: identityDatabaseUrl, table: `${scope}_identity_items` },
  { url: auditDatabaseUrl, table: `${scope}_audit_items` },
];

/** Each applied file as `target database file`, in the order applied. */
function appliedLines(reports: readonly MigrationSetReport[]): string[] {
  return reports.flatMap((report) =>
    Object.entries(report.databases).flatMap(([database, { applied }]) => applied.map((file) => `${report.target} ${database} ${file}`)),
  );
}

describe('migrateAll against the devstack', () => {
  let servicesDir: string;

  beforeAll(async () => {
    servicesDir = await mkdtemp(path.join(tmpdir(), 'bulkhead-services-'));
    for (const target of ['shards', 'identity', 'audit'] as const) {
      const dir = path.join(servicesDir, scope, 'migrations', target);
      const table = `${scope}_${target === 'shards' ? 'shard' : target}_items`;
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '0001_items.sql'), `CREATE TABLE ${table} (id uuid PRIMARY KEY);`);
      await writeFile(path.join(dir, '0002_items_name.sql'), `ALTER TABLE ${table} ADD COLUMN name text;`);
    }
  });

  afterAll(async () => {
    for (const { url, table } of databases) {
      await withPgClient(url, async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
        await client.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE scope = $1`, [scope]);
      });
    }
    await rm(servicesDir, { recursive: true, force: true });
  });

  it('applies every target once: shards, identity and audit; a second run applies nothing', async () => {
    const first = await migrateAll({ servicesDir, shards, identityDatabaseUrl, auditDatabaseUrl });
    expect(first.map((report) => [report.scope, report.target])).toEqual([
      [scope, 'shards'],
      [scope, 'identity'],
      [scope, 'audit'],
    ]);
    const files = ['0001_items.sql', '0002_items_name.sql'];
    expect(appliedLines(first)).toEqual([
      ...shards.flatMap((shard) => files.map((file) => `shards ${shard.id} ${file}`)),
      ...files.map((file) => `identity identity ${file}`),
      ...files.map((file) => `audit audit ${file}`),
    ]);
    for (const { url, table } of databases) {
      const columns = await withPgClient(url, (client) =>
        client.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name', [table]),
      );
      expect(columns.rows.map((row) => row.column_name)).toEqual(['id', 'name']);
    }

    const second = await migrateAll({ servicesDir, shards, identityDatabaseUrl, auditDatabaseUrl });
    expect(second).toHaveLength(3);
    expect(appliedLines(second)).toEqual([]);
  });

  it('names the set and the database of a migration that fails, and records nothing', async () => {
    const broken = await mkdtemp(path.join(tmpdir(), 'bulkhead-services-'));
    const brokenScope = `${scope}_broken`;
    try {
      const dir = path.join(broken, brokenScope, 'migrations', 'audit');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '0001_broken.sql'), 'CREATE TABLE;');
      await expect(migrateAll({ servicesDir: broken, shards, auditDatabaseUrl })).rejects.toThrow(
        `${brokenScope}/audit: audit database: migration 0001_broken.sql failed: syntax error`,
      );
      const recorded = await withPgClient(auditDatabaseUrl, (client) =>
        client.query(`SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE scope = $1`, [brokenScope]),
      );
      expect(recorded.rowCount).toBe(0);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});
