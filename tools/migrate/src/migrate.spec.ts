import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '@bulkhead/config';
import { appliedLines, DEFAULT_MIGRATIONS_DIR, migrateConfigShape, runMigrate } from './migrate';

const SHARD_OWNER_MAP = JSON.stringify([{ id: 'shard-0', url: 'postgres://127.0.0.1:1/bulkhead_shard_0' }]);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(migrateConfigShape, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((issue) => `${issue.variable}: ${issue.problem}`);
    throw err;
  }
  return [];
}

describe('the migrate configuration', () => {
  it('defaults MIGRATIONS_DIR to the workspace services folder', () => {
    const config = loadConfig(migrateConfigShape, { SHARD_OWNER_MAP });
    expect(config.MIGRATIONS_DIR).toBe(DEFAULT_MIGRATIONS_DIR);
    expect(existsSync(path.join(DEFAULT_MIGRATIONS_DIR, 'auth', 'migrations', 'identity'))).toBe(true);
  });

  it('names a missing shard map and owner URLs that are not PostgreSQL URLs', () => {
    expect(problems({ IDENTITY_DATABASE_OWNER_URL: 'mysql://h/db', AUDIT_DATABASE_OWNER_URL: 'audit' })).toEqual([
      'SHARD_OWNER_MAP: is required',
      'IDENTITY_DATABASE_OWNER_URL: must be a postgres or postgresql:// URL',
      'AUDIT_DATABASE_OWNER_URL: must be a postgres or postgresql:// URL',
    ]);
  });
});

describe('runMigrate', () => {
  it('names the variable a target needs before connecting anywhere', async () => {
    const config = loadConfig(migrateConfigShape, { SHARD_OWNER_MAP });
    await expect(runMigrate(config, () => undefined)).rejects.toThrow(/auth has identity migrations .* but IDENTITY_DATABASE_OWNER_URL is not set/);
  });
});

describe('appliedLines', () => {
  it('prints one line per applied file with its set and database', () => {
    const lines = appliedLines([
      { scope: 'org', target: 'shards', dir: '/s/org/migrations/shards', databases: { 'shard-0': { applied: ['0001_a.sql', '0002_b.sql'] }, 'shard-1': { applied: [] } } },
      { scope: 'auth', target: 'identity', dir: '/s/auth/migrations/identity', databases: { identity: { applied: ['0001_identity.sql'] } } },
    ]);
    expect(lines).toEqual([
      'applied org/shards 0001_a.sql on shard-0',
      'applied org/shards 0002_b.sql on shard-0',
      'applied auth/identity 0001_identity.sql on identity',
    ]);
  });
});
