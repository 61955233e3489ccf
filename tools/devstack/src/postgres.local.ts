import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { DevstackEnv } from '@bulkhead/testkit';
import { ensureDebianPackages } from './debian-packages';
import { DevstackError } from './devstack-error';
import { PORT_VARIABLES, type DevstackSettings } from './devstack-settings';
import { assertPortFree, isPortOpen } from './ports';
import { run, waitFor } from './processes';

/** Dev-only credentials: these servers listen on loopback only. */
export const SUPERUSER_PASSWORD = 'bulkhead';
/** Owns the databases and (through migrations) every table; runs migrations; no superuser. */
const OWNER_ROLE = 'bulkhead_owner';
/** What services log in as: owns nothing, no superuser, no BYPASSRLS. */
const APP_ROLE = 'bulkhead_app';
/** What the audit relay logs in as on the shards and the identity database: alone reads and deletes outbox rows (ADR 0005). */
const RELAY_ROLE = 'bulkhead_audit_relay';
/** What the sharded services read tenant placements as: SELECT on `tenant_placements` of the identity database, nothing else (ADR 0004). */
const PLACEMENT_ROLE = 'bulkhead_placement_reader';
/** The database holding the tenant placements. */
const IDENTITY_DATABASE = 'bulkhead_identity';
/** The databases the relay drains: every one but the compliance log's. */
const hasOutbox = (database: string): boolean => database !== 'bulkhead_audit';

/** What each of the two local servers holds: two shards and one global database. */
export const POSTGRES_LAYOUT = [
  { server: 'pg-a', databases: ['bulkhead_shard_0', 'bulkhead_shard_1', 'bulkhead_identity'] },
  { server: 'pg-b', databases: ['bulkhead_shard_2', 'bulkhead_shard_3', 'bulkhead_audit'] },
] as const;

/** The file in a state directory holding the id of its devstack, which names its clusters. */
const ID_FILE = 'devstack-id';

/** The id of the devstack whose state directory is `stateDir`, if it has one yet. */
export function readDevstackId(stateDir: string): string | undefined {
  const file = path.join(stateDir, ID_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * The id of the devstack whose state directory is `stateDir`, made on first use. Random, not
 * derived from the path: a clone deleted and made again at the same path is another devstack,
 * and the old clusters hold the databases, and migrations, of the code that was there.
 */
function ensureDevstackId(stateDir: string): string {
  const existing = readDevstackId(stateDir);
  if (existing !== undefined) return existing;
  const id = randomBytes(4).toString('hex');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, ID_FILE), `${id}\n`);
  return id;
}

/**
 * The Debian cluster of a local server of devstack `id`. Clusters are machine-wide: under one
 * fixed name, a clean clone started on the databases, and the migrations, another checkout left.
 */
export function clusterName(id: string, server: string): string {
  return `bulkhead_${id}_${server.replace('-', '_')}`;
}

/** Devstack clusters: named for their devstack's id, or `bulkhead-a`/`-b` from before they were. */
const DEVSTACK_CLUSTER = /^bulkhead_([0-9a-f]{8})_pg_[ab]$|^bulkhead-[ab]$/;
/** The file in a cluster's configuration folder naming the state directory it belongs to. */
const OWNER_FILE = 'bulkhead-devstack-state-dir';

interface ClusterOwner {
  cluster: string;
  /** The state directory recorded in the cluster's {@link OWNER_FILE}, if any. */
  stateDir: string | undefined;
}

/**
 * The devstack clusters nobody can come back to: the state directory they record no longer
 * holds the id they are named for (it was deleted, or made again for another clone), or they
 * record none (half made, or made before clusters were named per devstack).
 */
export function abandonedClusters(clusters: readonly ClusterOwner[], idIn: (stateDir: string) => string | undefined): string[] {
  return clusters
    .filter(({ cluster, stateDir }) => {
      const match = DEVSTACK_CLUSTER.exec(cluster);
      return match !== null && (stateDir === undefined || match[1] === undefined || idIn(stateDir) !== match[1]);
    })
    .map(({ cluster }) => cluster);
}

/** Settings for a throwaway development server: fast, loopback only, room for every pool. */
const SERVER_OPTIONS: readonly [string, string][] = [
  ['listen_addresses', '127.0.0.1'],
  ['max_connections', '300'],
  ['fsync', 'off'],
  ['synchronous_commit', 'off'],
  ['full_page_writes', 'off'],
];

export type LocalPostgresEnv = Pick<DevstackEnv, 'postgresServers' | 'shards' | 'identityDatabase' | 'auditDatabase' | 'auditRelay' | 'placementDatabaseUrl' | 'controls'>;

/** The newest installed PostgreSQL major version (Debian layout), if any. */
function installedPostgresVersion(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.find((v) => existsSync(`${root}/${v}/bin/postgres`));
}

function postgresVersion(): string {
  const version = installedPostgresVersion();
  if (version === undefined) throw new DevstackError('PostgreSQL server binaries not found under /usr/lib/postgresql: run "apt-get install postgresql" and retry');
  return version;
}

interface ClusterState {
  cluster: string;
  port: number;
  online: boolean;
}

/** The clusters of one PostgreSQL version, as `pg_lsclusters` lists them. */
function listClusters(version: string): ClusterState[] {
  const out = run('pg_lsclusters', ['--no-header'], 'pg_lsclusters failed: is postgresql-common installed?');
  return out.split('\n').flatMap((line) => {
    const [ver, cluster, port, status] = line.trim().split(/\s+/);
    return ver === version && cluster !== undefined ? [{ cluster, port: Number(port), online: status === 'online' }] : [];
  });
}

function clusterState(version: string, cluster: string): ClusterState | undefined {
  return listClusters(version).find((c) => c.cluster === cluster);
}

function ownerFile(version: string, cluster: string): string {
  return `/etc/postgresql/${version}/${cluster}/${OWNER_FILE}`;
}

function recordedOwner(version: string, cluster: string): string | undefined {
  const file = ownerFile(version, cluster);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** Drops the clusters of deleted checkouts, which hold the devstack's ports and disk for nothing. */
function dropAbandonedClusters(version: string, log: (l: string) => void): void {
  const owners = listClusters(version).map(({ cluster }) => ({ cluster, stateDir: recordedOwner(version, cluster) }));
  for (const cluster of abandonedClusters(owners, readDevstackId)) {
    const owner = owners.find((o) => o.cluster === cluster)?.stateDir;
    const why =
      owner === undefined ? 'it records no state directory' : existsSync(owner) ? `its state directory ${owner} belongs to another devstack now` : `its state directory ${owner} is gone`;
    log(`dropping PostgreSQL cluster ${version}/${cluster}: ${why}`);
    dropCluster(version, cluster);
  }
}

function url(user: string, password: string, port: number, database: string): string {
  return `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
}

async function withClient<T>(connectionString: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * True when the cluster's configuration AND an initialised data directory exist. A
 * `pg_createcluster` interrupted half-way leaves one without the other.
 */
function isClusterComplete(version: string, cluster: string): boolean {
  const conf = `/etc/postgresql/${version}/${cluster}/postgresql.conf`;
  if (!existsSync(conf)) return false;
  const configured = /^\s*data_directory\s*=\s*'([^']+)'/m.exec(readFileSync(conf, 'utf8'))?.[1];
  const dataDir = configured ?? `/var/lib/postgresql/${version}/${cluster}`;
  return existsSync(`${dataDir}/PG_VERSION`) && existsSync(`${dataDir}/global/pg_control`);
}

/** Stops and deletes a cluster, including whatever a failed `pg_createcluster` left behind. */
function dropCluster(version: string, cluster: string): void {
  const confDir = `/etc/postgresql/${version}/${cluster}`;
  if (existsSync(confDir)) {
    run('pg_dropcluster', ['--stop', version, cluster], `dropping PostgreSQL cluster ${version}/${cluster} failed: stop it with "pg_ctlcluster ${version} ${cluster} stop" and retry`);
  }
  rmSync(confDir, { recursive: true, force: true });
  rmSync(`/var/lib/postgresql/${version}/${cluster}`, { recursive: true, force: true });
}

/** The devstack's server settings as a conf.d file (Debian's postgresql.conf includes conf.d last). */
export function renderServerConf(): string {
  return `${SERVER_OPTIONS.map(([name, value]) => `${name} = '${value}'`).join('\n')}\n`;
}

/**
 * Written before every start, so a cluster left half-configured by a failed run is repaired.
 * The same keys are commented out of postgresql.conf, where `pg_conftool set` may have put
 * them (it leaves an address like 127.0.0.1 unquoted, which the server rejects).
 */
function configureCluster(version: string, cluster: string): void {
  for (const [name] of SERVER_OPTIONS) {
    run('pg_conftool', [version, cluster, 'remove', name], `configuring PostgreSQL ${cluster} failed (${name})`);
  }
  const confDir = `/etc/postgresql/${version}/${cluster}/conf.d`;
  mkdirSync(confDir, { recursive: true });
  writeFileSync(`${confDir}/bulkhead-devstack.conf`, renderServerConf());
}

async function ensureCluster(version: string, cluster: string, port: number, stateDir: string, log: (l: string) => void): Promise<void> {
  const logFile = `/var/log/postgresql/postgresql-${version}-${cluster}.log`;
  let state = clusterState(version, cluster);
  const leftovers = existsSync(`/etc/postgresql/${version}/${cluster}`) || existsSync(`/var/lib/postgresql/${version}/${cluster}`);
  if (leftovers && !isClusterComplete(version, cluster)) {
    log(`dropping the half-created PostgreSQL cluster ${version}/${cluster}`);
    dropCluster(version, cluster);
    state = undefined;
  }
  if (state !== undefined && state.port !== port) {
    // Ours, on the port of an earlier DEVSTACK_PG_PORTS: move it, once the new port is known free.
    await assertPortFree(port, `PostgreSQL ${cluster}`, PORT_VARIABLES.postgres);
    log(`moving PostgreSQL ${cluster} from port ${state.port} to ${port}`);
    if (state.online) run('pg_ctlcluster', [version, cluster, 'stop', '-m', 'fast'], `stopping PostgreSQL ${cluster} failed: see ${logFile}`);
    run('pg_conftool', [version, cluster, 'set', 'port', String(port)], `configuring PostgreSQL ${cluster} failed (port)`);
    state = { ...state, port, online: false };
  }
  if (state === undefined) {
    await assertPortFree(port, `PostgreSQL ${cluster}`, PORT_VARIABLES.postgres);
    log(`creating PostgreSQL cluster ${version}/${cluster} on port ${port}`);
    try {
      run(
        'pg_createcluster',
        [version, cluster, '--port', String(port), '--start-conf', 'manual', '--', '--auth-local=peer', '--auth-host=scram-sha-256'],
        `creating PostgreSQL cluster ${version}/${cluster} failed: run "npm run devstack -- up" again to retry from scratch`,
      );
    } catch (err) {
      // Leave nothing half-made behind, so the next `up` starts clean.
      dropCluster(version, cluster);
      throw err;
    }
    writeFileSync(ownerFile(version, cluster), `${path.resolve(stateDir)}\n`);
    state = { cluster, port, online: false };
  }
  if (!state.online) {
    configureCluster(version, cluster);
    await assertPortFree(port, `PostgreSQL ${cluster}`, PORT_VARIABLES.postgres);
    log(`starting PostgreSQL ${cluster} on port ${port}`);
    run('pg_ctlcluster', [version, cluster, 'start'], `starting PostgreSQL ${cluster} failed: see ${logFile}`);
  }
  if (!(await waitFor(() => isPortOpen(port), 30_000))) {
    throw new DevstackError(`PostgreSQL ${cluster} did not accept connections on port ${port} within 30 s: see ${logFile}`);
  }
  // The superuser password is set over the local socket (peer auth) so TCP logins work next.
  run(
    'runuser',
    ['-u', 'postgres', '--', 'psql', '-q', '-X', '-p', String(port), '-h', '/var/run/postgresql', '-c', `ALTER ROLE postgres PASSWORD '${SUPERUSER_PASSWORD}'`],
    `setting the superuser password on PostgreSQL ${cluster} failed`,
  );
}

/**
 * Roles and databases, idempotently: the owner role owns every database (and, through
 * migrations, every table); the service role may connect and use the schema, owns nothing and
 * cannot bypass row-level security; the relay role may connect to the databases with an outbox,
 * the placement role to the identity database.
 */
async function ensureRolesAndDatabases(cluster: string, port: number, databases: readonly string[]): Promise<void> {
  try {
    await createRolesAndDatabases(port, databases);
  } catch (err) {
    if (err instanceof DevstackError) throw err;
    throw new DevstackError(
      `setting up roles and databases on PostgreSQL ${cluster} (port ${port}) failed (${err instanceof Error ? err.message : String(err)}): run "npm run devstack -- up" again, or "npm run devstack -- down --purge" to start over`,
    );
  }
}

/**
 * The roles, and `databases` with their grants, on the server at `port` (its superuser's
 * password is the devstack's): a local cluster or a container alike. Idempotent.
 */
export async function createRolesAndDatabases(port: number, databases: readonly string[]): Promise<void> {
  await withClient(url('postgres', SUPERUSER_PASSWORD, port, 'postgres'), async (client) => {
    for (const role of [OWNER_ROLE, APP_ROLE, RELAY_ROLE, PLACEMENT_ROLE]) {
      await client.query(
        `DO $$ BEGIN
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF;
         END $$`,
      );
      await client.query(`ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '${role}'`);
    }
    for (const database of databases) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${database} OWNER ${OWNER_ROLE}`);
      await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${APP_ROLE}`);
      if (hasOutbox(database)) await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${RELAY_ROLE}`);
      if (database === IDENTITY_DATABASE) await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${PLACEMENT_ROLE}`);
    }
  });
  for (const database of databases) {
    await withClient(url('postgres', SUPERUSER_PASSWORD, port, database), async (client) => {
      await client.query(`ALTER SCHEMA public OWNER TO ${OWNER_ROLE}`);
      await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      await client.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
      if (hasOutbox(database)) await client.query(`GRANT USAGE ON SCHEMA public TO ${RELAY_ROLE}`);
      if (database === IDENTITY_DATABASE) await client.query(`GRANT USAGE ON SCHEMA public TO ${PLACEMENT_ROLE}`);
    });
  }
}

/**
 * Files the server `server` at `port` and its `databases` in `env`: each shard, the identity
 * database (with the placement reader's URL) and the audit database, as the service role and the
 * owner (every devstack role's password is its name).
 */
export function addServer(env: LocalPostgresEnv, server: string, port: number, databases: readonly string[]): void {
  env.postgresServers.push({ id: server, superuserUrl: url('postgres', SUPERUSER_PASSWORD, port, 'postgres') });
  const as = (role: string, database: string): string => url(role, role, port, database);
  for (const database of databases) {
    const entry = { server, url: as(APP_ROLE, database), ownerUrl: as(OWNER_ROLE, database) };
    const shard = /^bulkhead_shard_(\d+)$/.exec(database);
    if (shard !== null) env.shards.push({ id: `shard-${shard[1]}`, ...entry });
    else if (database === IDENTITY_DATABASE) {
      env.identityDatabase = entry;
      env.placementDatabaseUrl = as(PLACEMENT_ROLE, database);
    } else env.auditDatabase = entry;
  }
  env.shards.sort((x, y) => x.id.localeCompare(y.id));
}

/** A PostgreSQL environment to fill in, server by server, in {@link POSTGRES_LAYOUT} order. */
export function emptyPostgresEnv(): LocalPostgresEnv {
  return {
    postgresServers: [],
    shards: [],
    identityDatabase: { server: '', url: '', ownerUrl: '' },
    auditDatabase: { server: '', url: '', ownerUrl: '' },
    auditRelay: { user: RELAY_ROLE, password: RELAY_ROLE },
    controls: {},
  };
}

/** Two local PostgreSQL servers (Debian clusters) holding four shards and the global databases. */
export async function upLocalPostgres(settings: DevstackSettings, log: (l: string) => void): Promise<LocalPostgresEnv> {
  ensureDebianPackages(['postgresql', 'postgresql-contrib'], log);
  const version = postgresVersion();
  dropAbandonedClusters(version, log);
  const id = ensureDevstackId(settings.stateDir);
  const env = emptyPostgresEnv();
  for (const [index, layout] of POSTGRES_LAYOUT.entries()) {
    const port = settings.postgresPorts[index] as number;
    const cluster = clusterName(id, layout.server);
    await ensureCluster(version, cluster, port, settings.stateDir, log);
    await ensureRolesAndDatabases(cluster, port, layout.databases);
    addServer(env, layout.server, port, layout.databases);
    env.controls[layout.server] = {
      stop: ['pg_ctlcluster', version, cluster, 'stop', '-m', 'fast'],
      start: ['pg_ctlcluster', version, cluster, 'start'],
    };
  }
  return env;
}

/** Stops both local servers of this state directory (data is kept; `purge` drops the clusters). */
export function downLocalPostgres(stateDir: string, purge: boolean): void {
  const version = installedPostgresVersion();
  const id = readDevstackId(stateDir);
  if (version === undefined || id === undefined) return;
  for (const { server } of POSTGRES_LAYOUT) {
    const cluster = clusterName(id, server);
    const state = clusterState(version, cluster);
    if (purge) dropCluster(version, cluster);
    else if (state?.online === true) run('pg_ctlcluster', [version, cluster, 'stop', '-m', 'fast'], `stopping PostgreSQL ${cluster} failed`);
  }
}
