import { freePort, loadDevstackEnv, toServiceEnvironment, type DevstackEnv } from '@bulkhead/testkit';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { POSTGRES_LAYOUT, clusterName } from './postgres.local';
import { runDevstack } from './testing/devstack-cli';

jest.setTimeout(180_000);

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const publicTables = async (url: string): Promise<number> =>
  Number((await query<{ n: string }>(url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"))[0]?.n);

function listedClusters(): string[] {
  const out = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  return out.stdout.split('\n').flatMap((line) => line.trim().split(/\s+/)[1] ?? []);
}

const ownClusters = (stateDir: string): string[] => POSTGRES_LAYOUT.map(({ server }) => clusterName(stateDir, server));

/**
 * Local PostgreSQL as a second checkout starts it: in a state directory of its own, on ports of
 * its own, never in containers; Redis and Kafka are the running devstack's, given as external.
 */
describe('local PostgreSQL of a second checkout', () => {
  let running: DevstackEnv;
  let given: Record<string, string>;
  const stateDirs: string[] = [];

  const settingsFor = (stateDir: string, ports: string): Record<string, string> => ({
    ...given,
    DEVSTACK_STATE_DIR: stateDir,
    DEVSTACK_ENV_FILE: path.join(stateDir, 'env.json'),
    DEVSTACK_PG_PORTS: ports,
  });

  beforeAll(() => {
    running = loadDevstackEnv();
    given = { ...toServiceEnvironment(running), SHARD_MAP: '', DEVSTACK_CONTAINERS: 'off' };
  });

  afterAll(async () => {
    for (const stateDir of stateDirs) {
      if (existsSync(stateDir)) await runDevstack(['down', '--purge'], settingsFor(stateDir, '1,2'));
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('gets clusters and databases of its own, which a later up drops once its state directory is deleted', async () => {
    const ports = `${await freePort()},${await freePort()}`;
    const first = mkdtempSync(path.join(tmpdir(), 'devstack-clone-'));
    stateDirs.push(first);

    // What another checkout has migrated, in the running devstack's identity database.
    const probe = `devstack_clone_probe_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await query(running.identityDatabase.ownerUrl, `CREATE TABLE ${probe} (id int)`);
    const upFirst = await runDevstack(['up'], settingsFor(first, ports)).finally(() => query(running.identityDatabase.ownerUrl, `DROP TABLE ${probe}`));
    expect(upFirst).toMatchObject({ code: 0 });
    const env = loadDevstackEnv({ file: path.join(first, 'env.json') });
    expect(env.modes.postgres).toBe('local');
    const names = await Promise.all(env.postgresServers.map(async (s) => (await query<{ cluster_name: string }>(s.superuserUrl ?? '', 'SHOW cluster_name'))[0]?.cluster_name));
    expect(names.map((n) => n?.split('/')[1])).toEqual(ownClusters(first));
    // Nothing migrated yet, and none of the other checkout's tables.
    expect(await publicTables(env.identityDatabase.ownerUrl)).toBe(0);

    // The clone is deleted without `down`: its clusters still run, on the ports the next up wants.
    rmSync(first, { recursive: true, force: true });
    const second = mkdtempSync(path.join(tmpdir(), 'devstack-clone-'));
    stateDirs.push(second);
    const upSecond = await runDevstack(['up'], settingsFor(second, ports));
    expect(upSecond).toMatchObject({ code: 0 });
    for (const cluster of ownClusters(first)) expect(upSecond.stderr).toContain(`/${cluster}: its state directory ${first} is gone`);
    expect(listedClusters()).toEqual(expect.arrayContaining(ownClusters(second)));
    expect(listedClusters().filter((c) => ownClusters(first).includes(c))).toEqual([]);

    expect(await runDevstack(['down', '--purge'], settingsFor(second, ports))).toMatchObject({ code: 0 });
    expect(listedClusters().filter((c) => [...ownClusters(first), ...ownClusters(second)].includes(c))).toEqual([]);
  });
});
