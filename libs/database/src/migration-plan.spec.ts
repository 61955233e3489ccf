import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverMigrations, migrateAll } from './migration-plan';

let servicesDir: string;

/** Creates `<servicesDir>/<relative>` as a folder, or as a file when `content` is given. */
async function make(relative: string, content?: string): Promise<void> {
  const full = path.join(servicesDir, relative);
  if (content === undefined) {
    await mkdir(full, { recursive: true });
    return;
  }
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content);
}

const shards = [{ id: 'shard-0', url: 'postgres://127.0.0.1:1/never_reached' }];

beforeEach(async () => {
  servicesDir = await mkdtemp(path.join(tmpdir(), 'bulkhead-services-'));
});

afterEach(async () => {
  await rm(servicesDir, { recursive: true, force: true });
});

describe('discoverMigrations', () => {
  it('lists every service migration folder, by scope and then shards, identity, audit', async () => {
    await make('org/migrations/shards/0001_org.sql', 'SELECT 1;');
    await make('audit/migrations/audit/0001_log.sql', 'SELECT 1;');
    await make('auth/migrations/identity/0001_identity.sql', 'SELECT 1;');
    await make('auth/migrations/shards');
    await make('auth/migrations/audit');
    await make('gateway/src/main.ts', '');
    await make('README.md', '');

    expect(await discoverMigrations(servicesDir)).toEqual([
      { scope: 'audit', target: 'audit', dir: path.join(servicesDir, 'audit/migrations/audit') },
      { scope: 'auth', target: 'shards', dir: path.join(servicesDir, 'auth/migrations/shards') },
      { scope: 'auth', target: 'identity', dir: path.join(servicesDir, 'auth/migrations/identity') },
      { scope: 'auth', target: 'audit', dir: path.join(servicesDir, 'auth/migrations/audit') },
      { scope: 'org', target: 'shards', dir: path.join(servicesDir, 'org/migrations/shards') },
    ]);
  });

  it('finds nothing in services without migrations', async () => {
    await make('gateway/src');
    await make('agent/migrations');
    expect(await discoverMigrations(servicesDir)).toEqual([]);
  });

  it('names an unknown target folder', async () => {
    await make('auth/migrations/identity');
    await make('auth/migrations/shard');
    await expect(discoverMigrations(servicesDir)).rejects.toThrow(
      `unknown migration target "shard" (${path.join(servicesDir, 'auth/migrations/shard')}): expected one of shards, identity, audit`,
    );
  });

  it('names a migration file outside a target folder', async () => {
    await make('org/migrations/0001_org.sql', 'SELECT 1;');
    await expect(discoverMigrations(servicesDir)).rejects.toThrow(/org\/migrations\/0001_org\.sql is not in a target folder/);
  });

  it('names a services folder that does not exist', async () => {
    const absent = path.join(servicesDir, 'absent');
    await expect(discoverMigrations(absent)).rejects.toThrow(`cannot read the services folder ${absent}`);
  });
});

describe('migrateAll', () => {
  it('names every variable a target needs before touching any database', async () => {
    await make('auth/migrations/identity/0001_identity.sql', 'SELECT 1;');
    await make('audit/migrations/audit/0001_log.sql', 'SELECT 1;');
    await make('org/migrations/shards/0001_org.sql', 'SELECT 1;');
    const failure = migrateAll({ servicesDir, shards });
    await expect(failure).rejects.toThrow(/audit has audit migrations .* but AUDIT_DATABASE_OWNER_URL is not set/);
    await expect(failure).rejects.toThrow(/auth has identity migrations .* but IDENTITY_DATABASE_OWNER_URL is not set/);
  });

  it('needs no global database URL when only shards have migrations', async () => {
    await expect(migrateAll({ servicesDir, shards })).resolves.toEqual([]);
  });
});
