import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevstackEnv, toServiceEnvironment, workspaceRoot } from '@bulkhead/testkit';
import { Client } from 'pg';

const devstack = loadDevstackEnv();
const environment = toServiceEnvironment(devstack);
const scope = `test_${randomBytes(4).toString('hex')}`;
const TARGETS = ['shards', 'identity', 'audit'] as const;
const tableOf = (target: string): string => `${scope}_${target}_items`;

const databases = [
  ...devstack.shards.map((shard) => ({ name: shard.id, url: shard.ownerUrl, table: tableOf('shards') })),
  { name: 'identity', url: devstack.identityDatabase.ownerUrl, table: tableOf('identity') },
  { name: 'audit', url: devstack.auditDatabase.ownerUrl, table: tableOf('audit') },
];

/** The shard owner map as the chart passes it: URLs without credentials, which come separately. */
function chartStyleShardVariables(): Record<string, string> {
  const first = new URL(devstack.shards[0]?.ownerUrl ?? '');
  const bare = devstack.shards.map((shard) => {
    const url = new URL(shard.ownerUrl);
    url.username = '';
    url.password = '';
    return { id: shard.id, url: url.toString() };
  });
  return {
    SHARD_OWNER_MAP: JSON.stringify(bare),
    SHARD_OWNER_DATABASE_USER: decodeURIComponent(first.username),
    SHARD_OWNER_DATABASE_PASSWORD: decodeURIComponent(first.password),
  };
}

/** Runs the CLI as `npm run migrate` does, with only the given variables (and PATH). */
function migrate(variables: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const root = workspaceRoot();
  const result = spawnSync(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    ['--tsconfig', 'tsconfig.base.json', 'tools/migrate/src/main.ts'],
    { cwd: root, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...variables }, timeout: 60_000 },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run migrate against the devstack', () => {
  let servicesDir: string;

  beforeAll(async () => {
    servicesDir = await mkdtemp(path.join(tmpdir(), 'bulkhead-services-'));
    for (const target of TARGETS) {
      const dir = path.join(servicesDir, scope, 'migrations', target);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '0001_items.sql'), `CREATE TABLE ${tableOf(target)} (id uuid PRIMARY KEY);`);
    }
  });

  afterAll(async () => {
    for (const { url, table } of databases) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
        await client.query('DELETE FROM bulkhead_migrations WHERE scope = $1', [scope]);
      } finally {
        await client.end();
      }
    }
    await rm(servicesDir, { recursive: true, force: true });
  });

  it('applies every target with the chart-style owner credentials, prints each file, and a rerun applies nothing', () => {
    const variables = {
      ...chartStyleShardVariables(),
      IDENTITY_DATABASE_OWNER_URL: environment['IDENTITY_DATABASE_OWNER_URL'] ?? '',
      AUDIT_DATABASE_OWNER_URL: environment['AUDIT_DATABASE_OWNER_URL'] ?? '',
      MIGRATIONS_DIR: servicesDir,
    };
    const first = migrate(variables);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      ...devstack.shards.map((shard) => `applied ${scope}/shards 0001_items.sql on ${shard.id}`),
      `applied ${scope}/identity 0001_items.sql on identity`,
      `applied ${scope}/audit 0001_items.sql on audit`,
      `${devstack.shards.length + 2} migration(s) applied; 3 migration set(s) in ${servicesDir} are up to date`,
    ]);

    const second = migrate(variables);
    expect(second.status).toBe(0);
    expect(second.stdout.trim().split('\n')).toEqual([`0 migration(s) applied; 3 migration set(s) in ${servicesDir} are up to date`]);
  });

  it('exits non-zero naming the variable a target needs', () => {
    const result = migrate({ ...chartStyleShardVariables(), MIGRATIONS_DIR: servicesDir });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^migrate: ${scope} has identity migrations .* but IDENTITY_DATABASE_OWNER_URL is not set; ${scope} has audit migrations .* but AUDIT_DATABASE_OWNER_URL is not set\\n$`));
  });

  it('exits 78 naming invalid configuration', () => {
    const result = migrate({ SHARD_OWNER_MAP: '[]' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('SHARD_OWNER_MAP: must list at least one shard');
  });
});
