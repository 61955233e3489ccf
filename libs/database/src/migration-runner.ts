import type { ShardMap } from '@bulkhead/config';
import { AppError } from '@bulkhead/errors';
import { Client } from 'pg';
import { readMigrationFiles, type MigrationFile } from './migration-files';

/** The table, in each database's `public` schema, that records applied migrations. */
export const MIGRATIONS_TABLE = 'bulkhead_migrations';

// One lock for every runner on a database: creating the table and applying migrations of any
// scope are serialised, so concurrent runners (several pods, parallel tests) never collide.
const LOCK_KEY = 'bulkhead_migrations';

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** The database, as its owner role. */
  databaseUrl: string;
  /** The folder of `NNNN_name.sql` files. */
  migrationsDir: string;
  /** Whose migrations these are (a service name): versions are counted per scope. */
  scope: string;
  /** The role services connect as; granted SELECT on the migrations table. Default `bulkhead_app`. */
  serviceRole?: string;
}

/** What {@link runMigrations} did. */
export interface MigrationReport {
  /** File names applied by this run, in order; empty when the database was up to date. */
  applied: string[];
}

type AppliedRow = { version: number; name: string; checksum: string };

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Throws when an applied migration's file changed or disappeared. */
function checkApplied(files: readonly MigrationFile[], applied: readonly AppliedRow[]): void {
  const byVersion = new Map(files.map((file) => [file.version, file]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (file === undefined) {
      throw new Error(`migration ${String(row.version).padStart(4, '0')}_${row.name}.sql was applied but its file is missing`);
    }
    if (file.checksum !== row.checksum) {
      throw new Error(`migration ${file.fileName} was changed after it was applied (checksum mismatch)`);
    }
  }
}

/**
 * Applies the pending migrations of one scope to one database, each file in its own
 * transaction, recording `(scope, version, name, checksum, applied_at)` in
 * {@link MIGRATIONS_TABLE}. Runs under a session `pg_advisory_lock`, so two runners never
 * apply at once. Throws naming the file when an applied migration's checksum changed.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<MigrationReport> {
  const files = await readMigrationFiles(options.migrationsDir);
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
           scope text NOT NULL,
           version integer NOT NULL,
           name text NOT NULL,
           checksum text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (scope, version)
         )`,
      );
      await client.query(`GRANT SELECT ON ${MIGRATIONS_TABLE} TO ${quoteIdent(options.serviceRole ?? 'bulkhead_app')}`);
      const { rows } = await client.query<AppliedRow>(
        `SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} WHERE scope = $1 ORDER BY version`,
        [options.scope],
      );
      checkApplied(files, rows);
      const done = new Set(rows.map((row) => row.version));
      const applied: string[] = [];
      for (const file of files.filter((f) => !done.has(f.version))) {
        await client.query('BEGIN');
        try {
          await client.query(file.sql);
          await client.query(
            `INSERT INTO ${MIGRATIONS_TABLE} (scope, version, name, checksum) VALUES ($1, $2, $3, $4)`,
            [options.scope, file.version, file.name, file.checksum],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${file.fileName} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        applied.push(file.fileName);
      }
      return { applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Options of {@link migrateShards}. */
export interface MigrateShardsOptions {
  /** The shards, with the owner role's URLs. */
  shards: ShardMap;
  migrationsDir: string;
  scope: string;
  /** See {@link RunMigrationsOptions.serviceRole}. */
  serviceRole?: string;
}

/** Runs {@link runMigrations} on every shard in map order; a failure names the shard. */
export async function migrateShards(options: MigrateShardsOptions): Promise<Record<string, MigrationReport>> {
  const reports: Record<string, MigrationReport> = {};
  for (const shard of options.shards) {
    try {
      reports[shard.id] = await runMigrations({
        databaseUrl: shard.url,
        migrationsDir: options.migrationsDir,
        scope: options.scope,
        ...(options.serviceRole === undefined ? {} : { serviceRole: options.serviceRole }),
      });
    } catch (err) {
      throw new Error(`shard ${shard.id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return reports;
}

/** Options of {@link assertMigrated}. */
export interface AssertMigratedOptions {
  /** The shards, with the service role's URLs. */
  shards: ShardMap;
  migrationsDir: string;
  scope: string;
}

/**
 * Checks that every shard has every migration of `scope` applied, unchanged. A service calls it
 * at start-up and refuses to start otherwise: throws FAILED_PRECONDITION `SHARD_NOT_MIGRATED`
 * naming the first shard that is behind and the migrations it lacks.
 */
export async function assertMigrated(options: AssertMigratedOptions): Promise<void> {
  const files = await readMigrationFiles(options.migrationsDir);
  for (const shard of options.shards) {
    const client = new Client({ connectionString: shard.url });
    let rows: AppliedRow[];
    await client.connect();
    try {
      const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [MIGRATIONS_TABLE]);
      rows = exists.rows[0]?.found === true
        ? (await client.query<AppliedRow>(`SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} WHERE scope = $1`, [options.scope])).rows
        : [];
    } finally {
      await client.end();
    }
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const missing = files.filter((file) => applied.get(file.version) !== file.checksum).map((file) => file.fileName);
    if (missing.length > 0) {
      throw new AppError({
        kind: 'FAILED_PRECONDITION',
        code: 'SHARD_NOT_MIGRATED',
        message: `Shard ${shard.id} is behind on ${options.scope} migrations: ${missing.join(', ')}`,
        details: { shardId: shard.id, scope: options.scope },
      });
    }
  }
}
