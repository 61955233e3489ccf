import { freePort, loadDevstackEnv, toServiceEnvironment, type DevstackEnv } from '@bulkhead/testkit';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { POSTGRES_LAYOUT, clusterName, readDevstackId } from './postgres.local';
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

/** The clusters the devstack of `stateDir` is named for. */
function ownClusters(stateDir: string): string[] {
  const id = readDevstackId(stateDir);
  return id === undefined ? [] : POSTGRES_LAYOUT.map(({ server }) => clusterName(id, server));
}

/** The clusters the servers of a devstack's settings say they are. */
async function servingClusters(env: DevstackEnv): Promise<string[]> {
  const names = await Promise.all(env.postgresServers.map(async (s) => (await query<{ cluster_name: string }>(s.superuserUrl ?? '', 'SHOW cluster_name'))[0]?.cluster_name));
  return names.map((name) => name?.split('/')[1] ?? '');
}

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

  it('gets clusters and databases of its own, and a clone made again at the same path gets new ones while the old are dropped', async () => {
    const ports = `${await freePort()},${await freePort()}`;
    const stateDir = mkdtempSync(path.join(tmpdir(), 'devstack-clone-'));
    stateDirs.push(stateDir);

    // What another checkout has migrated, in the running devstack's identity database.
    const probe = `devstack_clone_probe_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await query(running.identityDatabase.ownerUrl, `CREATE TABLE ${probe} (id int)`);
    const upFirst = await runDevstack(['up'], settingsFor(stateDir, ports)).finally(() => query(running.identityDatabase.ownerUrl, `DROP TABLE ${probe}`));
    expect(upFirst).toMatchObject({ code: 0 });
    const first = loadDevstackEnv({ file: path.join(stateDir, 'env.json') });
    expect(first.modes.postgres).toBe('local');
    const firstClusters = ownClusters(stateDir);
    expect(firstClusters).toHaveLength(2);
    expect(await servingClusters(first)).toEqual(firstClusters);
    // Nothing migrated yet, and none of the other checkout's tables.
    expect(await publicTables(first.identityDatabase.ownerUrl)).toBe(0);
    await query(first.identityDatabase.ownerUrl, 'CREATE TABLE migrated_by_the_first_clone (id int)');

    // The clone is deleted without `down` and cloned again at the same path: its clusters still
    // run, on the ports the next up wants, holding the first clone's tables.
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir);
    const upSecond = await runDevstack(['up'], settingsFor(stateDir, ports));
    expect(upSecond).toMatchObject({ code: 0 });
    for (const cluster of firstClusters) expect(upSecond.stderr).toContain(`/${cluster}: its state directory ${stateDir} belongs to another devstack now`);
    const second = loadDevstackEnv({ file: path.join(stateDir, 'env.json') });
    const secondClusters = ownClusters(stateDir);
    expect(await servingClusters(second)).toEqual(secondClusters);
    expect(secondClusters.filter((c) => firstClusters.includes(c))).toEqual([]);
    expect(await publicTables(second.identityDatabase.ownerUrl)).toBe(0);
    expect(listedClusters().filter((c) => firstClusters.includes(c))).toEqual([]);

    expect(await runDevstack(['down', '--purge'], settingsFor(stateDir, ports))).toMatchObject({ code: 0 });
    expect(listedClusters().filter((c) => secondClusters.includes(c))).toEqual([]);
  });
});
